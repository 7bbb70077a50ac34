/// <reference lib="dom" />
// The person's Ed25519 secret key in the browser: read from the key file `release-watch keygen` writes
// (or pasted), kept in this page's memory only, and used to sign answers here. It is never sent anywhere:
// only the signature and its nonce go with an answer. The signing is core/signatures.ts itself.
import { bytesToHex, hexToBytes } from '@noble/curves/utils';
import { publicKeyOf, sign, type Signable, type SignedKind } from '../core/signatures';

export interface LoadedKey {
  secret: Uint8Array;
  publicKey: string;
}

/** The secret key in a key file's text: the one line that is not a comment, 32 bytes in lowercase hex (as client/keys.ts reads it). */
export function parseKeyText(text: string): LoadedKey {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines.length !== 1) throw new Error(`expected one secret key line, found ${lines.length}`);
  if (!/^[0-9a-f]{64}$/.test(lines[0])) throw new Error('a secret key is 32 bytes in lowercase hex');
  const secret = hexToBytes(lines[0]);
  return { secret, publicKey: publicKeyOf(secret) };
}

/** The answer signed as the key's owner, with a fresh nonce: what client/keys.ts signRequest makes. */
export function signAnswer<T extends Signable>(watchId: string, kind: SignedKind, request: T, key: LoadedKey): T {
  const { signature: _old, ...body } = request;
  const nonce = bytesToHex(crypto.getRandomValues(new Uint8Array(16)));
  return { ...body, signature: sign(watchId, kind, body, key.secret, nonce) } as T;
}
