// The relay: how an answer from Slack or PagerDuty reaches a watch whose plan requires signed answers.
// The chat's own secret stays in `serve` (it only proves the request came from Slack or PagerDuty); once
// it has, `serve` signs the answer with the relay key on the person's behalf, marked `via: <channel>`.
// The watch verifies that signature itself against `relays.<channel>` in its plan (core/signatures.ts),
// so an answer that did not pass through the verified route carries no signature the watch accepts.
import { publicKeyOf, signaturesRequired, type Signable, type SignedKind } from '../../core/signatures';
import type { Plan } from '../../plan/schema';
import { readKeyFile, signRequest } from '../keys';

/** The file with the relay's Ed25519 secret key (`release-watch keygen --out relay.key`). */
export const RELAY_KEY_FILE_ENV = 'RELEASE_WATCH_RELAY_KEY_FILE';

export type RelayChannel = 'slack' | 'pagerduty';

/** The relay key named by the environment, or undefined when none is set (a bad file throws, naming it). */
export function relayKeyFromEnv(env: NodeJS.ProcessEnv): Uint8Array | undefined {
  const file = env[RELAY_KEY_FILE_ENV]?.trim();
  return file ? readKeyFile(file) : undefined;
}

/**
 * The answer as it goes to the watch: marked with its channel, and signed by the relay when the plan
 * requires signed answers. `refused` says why it cannot be sent (nothing is sent then).
 */
export function relayed<T extends { by: string }>(
  plan: Plan,
  channel: RelayChannel,
  watchId: string,
  kind: SignedKind,
  request: T,
  key: Uint8Array | undefined,
): { ok: true; request: T & { via: RelayChannel } } | { ok: false; refused: string } {
  const marked = { ...request, via: channel };
  if (!signaturesRequired(plan)) return { ok: true, request: marked };
  const relay = plan.relays?.[channel];
  if (!relay)
    return {
      ok: false,
      refused: `${watchId} requires signed answers and its plan trusts no ${channel} relay (relays.${channel}); answer with the CLI or the console with your key`,
    };
  if (!key) return { ok: false, refused: `${watchId} requires signed answers and this serve has no relay key (${RELAY_KEY_FILE_ENV})` };
  if (publicKeyOf(key) !== relay.publicKey)
    return {
      ok: false,
      refused: `this serve's relay key is not the one ${watchId}'s plan trusts for ${channel} (relays.${channel}.publicKey)`,
    };
  if (!relay.people.includes(request.by))
    return {
      ok: false,
      refused: `${watchId}'s ${channel} relay may not answer for ${request.by}; answer with the CLI or the console with your key`,
    };
  const signed: Signable = signRequest(watchId, kind, marked, key);
  return { ok: true, request: { ...marked, signature: { ...signed.signature!, relay: channel } } };
}
