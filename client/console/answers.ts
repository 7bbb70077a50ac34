// An answer from the console (a form, or a call to its API): its shape checked here, then sent with the
// same client helper the CLI uses, so the watch validates it exactly as it validates the CLI's. The
// console never signs: a signature comes from the browser, made with the person's key there.
import type { Client } from '@temporalio/client';
import { isGrpcDeadlineError, isGrpcServiceError } from '@temporalio/client';
import { signaturesRequired } from '../../core/signatures';
import type { Plan } from '../../plan/schema';
import { acknowledge, approveLever, decide, emergency, Refused, resolveIncident } from '../watches';

export const ANSWER_KINDS = ['decide', 'ack', 'resolve', 'emergency', 'approve'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

const FIELDS: Record<AnswerKind, { required: string[]; optional: string[] }> = {
  decide: { required: ['checkpoint', 'decision', 'by'], optional: ['note'] },
  ack: { required: ['incident', 'by'], optional: [] },
  resolve: { required: ['incident', 'by', 'rootCause', 'resolution'], optional: ['followUp'] },
  emergency: { required: ['lever', 'by', 'reason'], optional: [] },
  approve: { required: ['request', 'by'], optional: [] },
};

/** An answer's body: JSON of at most this many bytes. */
export const ANSWER_MAX_BYTES = 16 * 1024;
/** How long the console waits for the watch to take an answer. */
export const ANSWER_TIMEOUT_MS = 15_000;

export type Checked = { ok: true; request: Record<string, unknown> & { by: string } } | { ok: false; reason: string };

/** The answer's fields as the console takes them: an object of text fields the kind has, and an optional signature. */
export function checkAnswer(kind: AnswerKind, body: unknown): Checked {
  const { required, optional } = FIELDS[kind];
  const fields = [...required, ...optional, 'signature'];
  if (!body || typeof body !== 'object' || Array.isArray(body))
    return { ok: false, reason: `the answer must be a JSON object with ${required.join(', ')}` };
  const o = body as Record<string, unknown>;
  const unknown = Object.keys(o).filter((k) => !fields.includes(k));
  if (unknown.length)
    return {
      ok: false,
      reason: `unknown field(s) ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} (${kind} takes ${fields.join(', ')})`,
    };
  for (const k of required) if (o[k] === undefined || o[k] === null || o[k] === '') return { ok: false, reason: `"${k}" is required` };
  for (const k of [...required, ...optional])
    if (o[k] !== undefined && typeof o[k] !== 'string') return { ok: false, reason: `"${k}" must be text` };
  const s = o.signature;
  if (s !== undefined) {
    if (!s || typeof s !== 'object' || Array.isArray(s)) return { ok: false, reason: '"signature" must be an object { nonce, sig }' };
    const extra = Object.keys(s).filter((k) => k !== 'nonce' && k !== 'sig');
    if (extra.length)
      return {
        ok: false,
        reason: `"signature" takes nonce and sig only (got ${extra.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')})`,
      };
    const { nonce, sig } = s as Record<string, unknown>;
    if (typeof nonce !== 'string' || typeof sig !== 'string')
      return { ok: false, reason: '"signature" must have nonce and sig as hex text' };
  }
  return { ok: true, request: o as Record<string, unknown> & { by: string } };
}

/** Why the console does not send this answer, before the watch sees it: only an unsigned answer to a plan that signs. */
export function consoleRefusal(plan: Plan | undefined, request: { by: string; signature?: unknown }): string | undefined {
  if (!plan) return 'the console could not read the plan of this watch, so it cannot tell whether answers must be signed; use the CLI';
  if (request.signature === undefined && signaturesRequired(plan))
    return `this plan requires signed approvals: load ${request.by}'s key into the page to sign as ${request.by}`;
  return undefined;
}

/** Sends an answer with the CLI's helper: the watch's result, or Refused with its reason. */
export async function sendAnswer(client: Client, id: string, kind: AnswerKind, request: Record<string, unknown>): Promise<unknown> {
  const r = request as never;
  try {
    return await client.withDeadline<unknown>(Date.now() + ANSWER_TIMEOUT_MS, (): Promise<unknown> => {
      switch (kind) {
        case 'decide':
          return decide(client, id, r);
        case 'ack':
          return acknowledge(client, id, r);
        case 'resolve':
          return resolveIncident(client, id, r);
        case 'emergency':
          return emergency(client, id, r);
        case 'approve':
          return approveLever(client, id, r);
      }
    });
  } catch (err) {
    if (err instanceof Refused) throw err;
    if (isGrpcDeadlineError(err) || (isGrpcServiceError(err) && err.code === 4) || isGrpcDeadlineError((err as Error)?.cause))
      throw new AnswerTimeout(
        `no worker took the answer within ${ANSWER_TIMEOUT_MS / 1000} s: it may still be applied once a worker is back; look at the watch before sending it again`,
      );
    throw err;
  }
}

export class AnswerTimeout extends Error {}
