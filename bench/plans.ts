// Plans for the bench: the committed Symphony plan with a compressed clock, and a key pair per
// person made for the run (a prod plan signs decisions; the bench signs them as its people).
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { Decide } from '../core/messages';
import { publicKeyOf, sign, signaturesRequired } from '../core/signatures';
import type { Plan } from '../plan/schema';
import { formatPlanError, validatePlanObject } from '../plan/validate';

export const SYMPHONY_FILE = join(__dirname, '..', 'plans', 'symphony-orchestra.yaml');

/** Secret keys of the plan's people, made fresh for each run. */
export type Keys = Record<string, Uint8Array>;

export function makeKeys(): Keys {
  const raw = parse(readFileSync(SYMPHONY_FILE, 'utf8')) as { people: Record<string, unknown> };
  return Object.fromEntries(Object.keys(raw.people).map((id) => [id, new Uint8Array(randomBytes(32))]));
}

/**
 * plans/symphony-orchestra.yaml as written, with its clock compressed to `hour`, the bench's public
 * keys, and `edit` applied to the raw document (data only: the workflow code is untouched).
 */
export function symphonyPlan(hour: string, keys: Keys, edit?: (raw: Record<string, any>) => void): Plan {
  const raw = parse(readFileSync(SYMPHONY_FILE, 'utf8')) as Record<string, any>;
  raw.clock = { ...raw.clock, hour };
  for (const [id, person] of Object.entries(raw.people as Record<string, Record<string, unknown>>)) {
    if (keys[id]) person.publicKey = publicKeyOf(keys[id]);
  }
  edit?.(raw);
  const result = validatePlanObject(raw);
  if (!result.ok)
    throw new Error(`bench plan (${SYMPHONY_FILE}, hour ${hour}) is invalid:\n${result.errors.map(formatPlanError).join('\n')}`);
  return result.plan;
}

/** A decision as its person sends it: signed when the plan asks for signatures. `as` signs with another person's key. */
export function signedDecision(plan: Plan, keys: Keys, watchId: string, d: Decide, as?: string): Decide {
  const body: Decide = { checkpoint: d.checkpoint, decision: d.decision, by: d.by, ...(d.note ? { note: d.note } : {}) };
  if (!signaturesRequired(plan)) return body;
  return { ...body, signature: sign(watchId, 'decide', body, keys[as ?? d.by], randomBytes(16).toString('hex')) };
}

export function signing(plan: Plan): boolean {
  return signaturesRequired(plan);
}
