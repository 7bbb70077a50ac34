// Messages a watch answers: shared by the workflow, the client and the tests.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Ack, IncidentRecord, Resolve } from '../core/incidents';
import type { Approve, Emergency, LeverRequest } from '../core/levers';
import type { Decide } from '../core/messages';
import type { CheckpointState } from '../core/state';
import type { WatchStatus } from '../core/status';

export const statusQuery = defineQuery<WatchStatus, [number?]>('status');
export const decideUpdate = defineUpdate<CheckpointState, [Decide]>('decide');
/** The same decision for callers that must not wait on a worker (`temporal workflow signal`). */
export const decideSignal = defineSignal<[Decide]>('decide');
export const emergencyUpdate = defineUpdate<LeverRequest, [Emergency]>('emergency');
export const approveUpdate = defineUpdate<LeverRequest, [Approve]>('approve');
export const ackUpdate = defineUpdate<IncidentView, [Ack]>('ack');
export const resolveUpdate = defineUpdate<IncidentView, [Resolve]>('resolve');

// Between a watch and its incident workflows.
export const incidentAckSignal = defineSignal<[Ack]>('ack');
export const incidentResolveSignal = defineSignal<[Resolve]>('resolve');
/** The failing check recovered (healthy true) or failed again (healthy false). */
export const incidentCheckSignal = defineSignal<[{ healthy: boolean; reason: string }]>('check');
/** From an incident to its watch: what the watch mirrors in its status. */
export const incidentChangedSignal = defineSignal<[IncidentChange]>('incidentChanged');
export const incidentQuery = defineQuery<IncidentRecord>('incident');
/** To an incident whose watch has ended: the same answers, validated and signed the same way. */
export const incidentAckUpdate = defineUpdate<IncidentRecord, [Ack]>('acknowledgeIncident');
export const incidentResolveUpdate = defineUpdate<IncidentRecord, [Resolve]>('resolveIncident');

export interface IncidentChange {
  id: string;
  state: IncidentRecord['state'];
  holder: string;
  nextDeadlineAt?: number;
  ackedAt?: number;
  resolvedAt?: number;
  documentPath?: string;
  pages: number;
  /** Every notification of the incident that could not be delivered so far. */
  undelivered?: Array<{ eventId: string; sink: string; error: string }>;
}

export interface IncidentView {
  id: string;
  seq: number;
  state: string;
  holder?: string;
}

/** Test hook: continue-as-new at the next quiet moment. */
export const continueAsNewSignal = defineSignal('continueAsNow');

export const SA = {
  service: defineSearchAttributeKey('RwService', SearchAttributeType.KEYWORD),
  release: defineSearchAttributeKey('RwRelease', SearchAttributeType.KEYWORD),
  phase: defineSearchAttributeKey('RwPhase', SearchAttributeType.KEYWORD),
  health: defineSearchAttributeKey('RwHealth', SearchAttributeType.KEYWORD),
  openIncidents: defineSearchAttributeKey('RwOpenIncidents', SearchAttributeType.INT),
};
export const SEARCH_ATTRIBUTES = Object.values(SA);

/** Failure type of a refused update: the CLI maps it to exit code 2. */
export const REFUSED = 'Refused';

export const TASK_QUEUE = 'release-watch';
