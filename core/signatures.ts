// Signed approvals: a decision in someone's name carries that person's Ed25519 signature over the
// watch ID, the kind of request, the request itself and a single-use nonce. Pure and deterministic,
// so the workflow's synchronous validators verify it; signing happens in the client.
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex as toHex, hexToBytes as fromHex } from '@noble/curves/utils';
import type { Plan } from '../plan/schema';
import { verifyEd25519 } from './ed25519';

export const SIGNED_KINDS = ['decide', 'ack', 'resolve', 'emergency', 'approve'] as const;
export type SignedKind = (typeof SIGNED_KINDS)[number];

export interface Signature {
  /** 16 random bytes in hex, used once per watch. */
  nonce: string;
  /** 64-byte Ed25519 signature in hex. */
  sig: string;
  /** Signed by this relay of the plan (`relays.<channel>`) on `by`'s behalf, not by `by`'s own key. */
  relay?: string;
}

export interface Signable {
  by: string;
  /** Where the answer came from (slack, pagerduty); a relay's signature requires its own channel here. */
  via?: string;
  signature?: Signature;
}

/** Who may answer and how: the parts of a plan a signature is checked against. */
export type SignerRoster = Pick<Plan, 'people' | 'profile' | 'signedApprovals' | 'relays'>;

const NONCE = /^[0-9a-f]{32}$/;
const SIG = /^[0-9a-f]{128}$/;
const VERSION = 'release-watch-approval-v1';

/** Signatures are asked for when the plan says so, and by default for a prod profile. */
export function signaturesRequired(plan: Pick<Plan, 'signedApprovals' | 'profile'>): boolean {
  return plan.signedApprovals ?? plan.profile === 'prod';
}

/** The bytes a person signs: one line each for the format, the watch, the kind, the nonce and the request. */
export function signedBytes(watchId: string, kind: SignedKind, request: Signable, nonce: string): Uint8Array {
  const { signature: _ignored, ...body } = request;
  return new TextEncoder().encode([VERSION, watchId, kind, nonce, canonicalJson(body)].join('\n'));
}

/** JSON with keys sorted and undefined fields left out, so the client and the workflow agree byte for byte. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function sign(watchId: string, kind: SignedKind, request: Signable, secretKey: Uint8Array, nonce: string): Signature {
  return { nonce, sig: toHex(ed25519.sign(signedBytes(watchId, kind, request, nonce), secretKey)) };
}

export function publicKeyOf(secretKey: Uint8Array): string {
  return toHex(ed25519.getPublicKey(secretKey));
}

/**
 * Why this request's signature is not accepted, or undefined when it is (or none is required).
 * Runs after the request itself was found valid, so `by` is a person on the roster.
 */
export function signatureError(
  plan: SignerRoster,
  usedNonces: readonly string[],
  watchId: string,
  kind: SignedKind,
  request: Signable,
): string | undefined {
  const via = viaError(request);
  if (via) return via;
  if (!signaturesRequired(plan)) return undefined;
  const s = request.signature;
  if (s === undefined || s === null) {
    if (!plan.people[request.by]?.publicKey) return `${request.by} has no public key in the plan, and this plan requires signed approvals`;
    return `this plan requires signed approvals: sign as ${request.by} with --key (make one with \`release-watch keygen\`)`;
  }
  if (typeof s !== 'object') return 'signature must be an object with nonce and sig';
  if (typeof s.nonce !== 'string' || !NONCE.test(s.nonce)) return 'signature nonce must be 16 bytes in hex';
  if (typeof s.sig !== 'string' || !SIG.test(s.sig)) return 'signature must be 64 bytes in hex';
  const signer = signerOf(plan, request);
  if (typeof signer === 'string') return signer;
  if (usedNonces.includes(s.nonce)) return `signature nonce ${s.nonce} was already used: a replayed request is refused`;
  let ok = false;
  try {
    ok = verifyEd25519(fromHex(s.sig), signedBytes(watchId, kind, request, s.nonce), signer.publicKey);
  } catch {
    ok = false;
  }
  if (!ok) return `signature does not verify with ${signer.name}'s public key (signed by someone else, for another watch, or altered)`;
  return undefined;
}

/** Channels an answer may say it came through (`via`); the CLI and the console leave it out. */
export const VIA_CHANNELS: readonly string[] = ['slack', 'pagerduty'];

function viaError(request: Signable): string | undefined {
  const via = (request as { via?: unknown } | undefined)?.via;
  if (via === undefined || (typeof via === 'string' && VIA_CHANNELS.includes(via))) return undefined;
  return `via must be one of ${VIA_CHANNELS.join(', ')} (where the answer came from), not ${JSON.stringify(via).slice(0, 40)}`;
}

/** Every public key an answer to this roster may be signed with: its people's and its relays'. */
export function signerKeys(roster: SignerRoster): Array<string | undefined> {
  return [...Object.values(roster.people).map((p) => p.publicKey), ...Object.values(roster.relays ?? {}).map((r) => r?.publicKey)];
}

/** The key a signature must verify with: the person's own, or a relay's the plan trusts for them; else why not. */
function signerOf(plan: SignerRoster, request: Signable): { name: string; publicKey: string } | string {
  const relayName = request.signature?.relay;
  if (relayName === undefined) {
    const key = plan.people[request.by]?.publicKey;
    if (!key) return `${request.by} has no public key in the plan, and this plan requires signed approvals`;
    return { name: request.by, publicKey: key };
  }
  if (typeof relayName !== 'string') return "signature relay must be the name of one of the plan's relays";
  const relay = Object.hasOwn(plan.relays ?? {}, relayName) ? plan.relays?.[relayName as keyof NonNullable<Plan['relays']>] : undefined;
  if (!relay)
    return `the plan trusts no relay "${relayName.slice(0, 40)}" (relays: ${Object.keys(plan.relays ?? {}).join(', ') || 'none'})`;
  if (!relay.people.includes(request.by))
    return `relay ${relayName} may not answer for ${request.by} (it answers for ${relay.people.join(', ')})`;
  // The channel is inside the signed bytes: a relay's signature cannot be passed off as coming from elsewhere.
  if (request.via !== relayName) return `an answer signed by relay ${relayName} must say via: ${relayName}`;
  return { name: `relay ${relayName}`, publicKey: relay.publicKey };
}

export function validPublicKey(hex: string): boolean {
  try {
    ed25519.ExtendedPoint.fromHex(hex).assertValidity();
    return true;
  } catch {
    return false;
  }
}

/**
 * The nonces one signer scope has accepted (the watch for decisions and levers, each incident for its
 * acknowledgements and resolution): a signature counts once. Wraps the list kept in that scope's state.
 */
export class NonceStore {
  constructor(private readonly used: string[]) {}

  /** Why this request's signature is not accepted in this scope, or undefined. */
  error(roster: SignerRoster, watchId: string, kind: SignedKind, request: Signable): string | undefined {
    return signatureError(roster, this.used, watchId, kind, request);
  }

  /** Called by the handler once the request is accepted. */
  spend(request: Signable): void {
    if (request.signature) this.used.push(request.signature.nonce);
  }
}
