// Ed25519 keys for signed approvals: making a pair, finding a person's secret key, signing a request.
// Secret keys stay on the signer's machine; only signatures and nonces travel to the watch.
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, hexToBytes } from '@noble/curves/utils';
import { publicKeyOf, sign, type Signable, type SignedKind } from '../core/signatures';

import { KEY_ENV, KEY_FILE_ENV, KEYRING_ENV, KeyError } from './errors';

export { KEY_ENV, KEY_FILE_ENV, KEYRING_ENV, KeyError };

export interface KeyPair {
  secretKey: string;
  publicKey: string;
}

export function generateKeyPair(): KeyPair {
  const secret = ed25519.utils.randomPrivateKey();
  return { secretKey: bytesToHex(secret), publicKey: publicKeyOf(secret) };
}

/** Writes a secret key file readable by its owner only; an existing file is never overwritten. */
export function writeKeyFile(
  path: string,
  person: string | undefined,
  pair: KeyPair,
  planPath = `people.${person ?? '<id>'}.publicKey`,
): void {
  if (existsSync(path)) throw new KeyError(`${path} exists: not overwriting a key (choose another --out)`);
  const text = [
    `# release-watch Ed25519 secret key${person ? ` for ${person}` : ''}: keep it private`,
    `# public key (put it in the plan under ${planPath}): ${pair.publicKey}`,
    pair.secretKey,
    '',
  ].join('\n');
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
}

/** Reads a secret key file: the one line that is not a comment, 32 bytes in hex. */
export function readKeyFile(path: string): Uint8Array {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeyError(`cannot read key file ${path}: ${(err as Error).message}`);
  }
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines.length !== 1) throw new KeyError(`${path}: expected one secret key line, found ${lines.length}`);
  return parseSecret(lines[0], path);
}

function parseSecret(hex: string, where: string): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new KeyError(`${where}: a secret key is 32 bytes in lowercase hex`);
  return hexToBytes(hex);
}

/**
 * The secret key to sign as `person`: an explicit file first, then $RELEASE_WATCH_KEY,
 * $RELEASE_WATCH_KEY_FILE, then `<person>.key` in $RELEASE_WATCH_KEYS. Undefined when there is none.
 */
export function findSecretKey(person: string, opts: { keyFile?: string; env?: NodeJS.ProcessEnv } = {}): Uint8Array | undefined {
  const env = opts.env ?? process.env;
  if (opts.keyFile) return readKeyFile(opts.keyFile);
  if (env[KEY_ENV]) return parseSecret(env[KEY_ENV].trim(), `$${KEY_ENV}`);
  if (env[KEY_FILE_ENV]) return readKeyFile(env[KEY_FILE_ENV]);
  if (env[KEYRING_ENV] && /^[A-Za-z0-9_-]+$/.test(person)) {
    const file = join(env[KEYRING_ENV], `${person}.key`);
    if (existsSync(file)) return readKeyFile(file);
  }
  return undefined;
}

/** The request with a signature over the watch, its kind, its fields and a fresh nonce. */
export function signRequest<T extends Signable>(watchId: string, kind: SignedKind, request: T, secretKey: Uint8Array): T {
  const { signature: _old, ...body } = request;
  const nonce = randomBytes(16).toString('hex');
  return { ...body, signature: sign(watchId, kind, body, secretKey, nonce) } as T;
}

/** Signs with the key found for `request.by`, if any; an already signed request is left as it is. */
export function signIfKeyed<T extends Signable>(
  watchId: string,
  kind: SignedKind,
  request: T,
  opts: { keyFile?: string; env?: NodeJS.ProcessEnv } = {},
): T {
  if (!request || typeof request !== 'object' || typeof request.by !== 'string') return request;
  if (request.signature && !opts.keyFile) return request;
  const key = findSecretKey(request.by, opts);
  return key ? signRequest(watchId, kind, request, key) : request;
}
