// The probe kinds, registered in one place. Adding a kind: a folder beside these (its schema,
// placeholders, observe) and one entry in PROBE_KINDS and in ProbeSchemas below.
import { z } from 'zod';
import type { PlaceholderScope, PlaceholderSpec } from '../core/conditions';
import { commandProbe, CommandProbe } from './command';
import { httpProbe, HttpProbe } from './http';
import { logProbe, LogProbe } from './log';
import { prometheusProbe, PrometheusProbe } from './prometheus';
import type { ProbeKind } from './types';

export const PROBE_KINDS: readonly ProbeKind<any>[] = [httpProbe, commandProbe, logProbe, prometheusProbe];

/** The schemas as a tuple, so the plan's probe type is the union of the kinds' own types. */
const ProbeSchemas = [HttpProbe, CommandProbe, LogProbe, PrometheusProbe] as const;

export const KIND_NAMES = PROBE_KINDS.map((k) => k.kind);

export const Probe = z.discriminatedUnion('kind', ProbeSchemas, {
  error: (iss) => (iss.code === 'invalid_union' ? `probe.kind must be one of ${KIND_NAMES.join(', ')}` : undefined),
});

/** Lever steps: the kinds that can act as well as observe. */
export const Step = z.discriminatedUnion('kind', [HttpProbe, CommandProbe]);

export function probeKind(kind: string): ProbeKind<any> | undefined {
  return PROBE_KINDS.find((k) => k.kind === kind);
}

/** Every placeholder of every kind (a name means the same in each kind that has it). */
export const ALL_PLACEHOLDERS: readonly PlaceholderSpec[] = [
  ...new Map(PROBE_KINDS.flatMap((k) => k.placeholders).map((p) => [p.name, p])).values(),
];

/** What conditions of a probe of this kind may read; undefined for a kind that does not exist. */
export function placeholderScope(kind: string): PlaceholderScope | undefined {
  const k = probeKind(kind);
  return k && { kind: k.kind, placeholders: k.placeholders, known: ALL_PLACEHOLDERS };
}
