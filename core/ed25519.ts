// Ed25519 verification with each signer's public key decoded once per worker, with its multiplication
// table: a validator then verifies in about a third of the time `ed25519.verify` takes, which decodes
// the key and multiplies it without a table every time (most of an answer's own cost in the workflow).
// The same steps as the library's verify (RFC 8032 with ZIP-215 decoding, its default), on its own
// primitives; test/unit/ed25519.test.ts holds the two to the same answers.
//
// The cache is the one piece of module-level state in the shared modules (worker/bundle.ts): each
// entry is derived from a public key alone (the same key always gives the same point), so sharing it
// between workflows tells one watch nothing about another, and a workflow's result never depends on it.
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToNumberLE, concatBytes, hexToBytes } from '@noble/curves/utils';

type Point = InstanceType<typeof ed25519.Point>;

/** A small window: the table costs about 5 ms to build and 130 KB to keep, per key. */
const WINDOW = 4;
/** Keys kept per worker (a plan has a handful of people; workers serve a few plans). */
const MAX_KEYS = 64;
const keyPoints = new Map<string, { point: Point; bytes: Uint8Array }>();

/** The key's point with its table, built on first use (it throws for a key that is not a point). */
function pointOf(publicKeyHex: string): { point: Point; bytes: Uint8Array } {
  let key = keyPoints.get(publicKeyHex);
  if (!key) {
    // The base point's own table too (core/signatures.ts sets its window), built at its first use.
    ed25519.Point.BASE.multiplyUnsafe(2n);
    const point = ed25519.Point.fromBytes(hexToBytes(publicKeyHex), true).precompute(WINDOW, false);
    key = { point, bytes: point.toBytes() };
    if (keyPoints.size >= MAX_KEYS) keyPoints.delete(keyPoints.keys().next().value!);
    keyPoints.set(publicKeyHex, key);
  }
  return key;
}

/** Builds the tables of these keys now (at a watch's start), so no answer waits for one. */
export function warmKeys(publicKeysHex: Array<string | undefined>): void {
  for (const hex of publicKeysHex) {
    if (!hex) continue;
    try {
      pointOf(hex);
    } catch {
      // a key that is not a point: its signatures are refused when they come
    }
  }
}

/** Whether `signature` (64 bytes) is the key's signature over `message`. */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKeyHex: string): boolean {
  if (signature.length !== 64) return false;
  let A: { point: Point; bytes: Uint8Array };
  let R: Point;
  let SB: Point;
  try {
    A = pointOf(publicKeyHex);
    R = ed25519.Point.fromBytes(signature.subarray(0, 32), true);
    // Refuses s outside [0, n): a malleated signature.
    SB = ed25519.Point.BASE.multiplyUnsafe(bytesToNumberLE(signature.subarray(32, 64)));
  } catch {
    return false;
  }
  const k = bytesToNumberLE(ed25519.CURVE.hash(concatBytes(R.toBytes(), A.bytes, message))) % ed25519.CURVE.n;
  // [8][S]B = [8]R + [8][k]A
  return R.add(A.point.multiplyUnsafe(k)).subtract(SB).clearCofactor().is0();
}
