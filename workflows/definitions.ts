// Every message the workflows answer, in one place: shared by the workflows, the client and the tests.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Ack, IncidentChange, IncidentRecord, Resolve } from '../core/incidents';
import type { Approve, Emergency, LeverRequest } from '../core/levers';
import type { Decide } from '../core/messages';
import type { CheckpointState } from '../core/state';
import type { WatchStatus } from '../core/status';

export type { IncidentChange };

// ---- the watch ---------------------------------------------------------------------------------

export const statusQuery = defineQuery<WatchStatus, [number?]>('status');
export const decideUpdate = defineUpdate<CheckpointState, [Decide]>('decide');
/** The same decision for callers that must not wait on a worker (`temporal workflow signal`). */
export const decideSignal = defineSignal<[Decide]>('decide');
export const emergencyUpdate = defineUpdate<LeverRequest, [Emergency]>('emergency');
export const approveUpdate = defineUpdate<LeverRequest, [Approve]>('approve');
/** From an incident to its watch: what the watch shows of it in its status and criteria. */
export const incidentChangedSignal = defineSignal<[IncidentChange]>('incidentChanged');
/** Test hook: continue-as-new at the next quiet moment. */
export const continueAsNewSignal = defineSignal('continueAsNow');

// ---- an incident: it owns its state; people answer it directly -----------------------------------

export const incidentQuery = defineQuery<IncidentRecord>('incident');
export const incidentAckUpdate = defineUpdate<IncidentRecord, [Ack]>('acknowledgeIncident');
export const incidentResolveUpdate = defineUpdate<IncidentRecord, [Resolve]>('resolveIncident');
/** From the watch: the failing check recovered (healthy true) or failed again (healthy false). */
export const incidentCheckSignal = defineSignal<[{ healthy: boolean; reason: string }]>('check');

/** What the CLI prints of an answered incident. */
export interface IncidentView {
  id: string;
  seq: number;
  state: string;
  holder?: string;
}

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
