// Ed25519 verification for the validators: each signer's public key decoded once per worker, with its
// multiplication table, and the curve arithmetic in WebAssembly (wasm/ed25519.ts). A check takes about
// a fifth of the time the library's BigInt arithmetic takes even with tables, and the check was most of
// an answer's own cost in the workflow (docs/benchmark.md). The same steps as the library's verify
// (RFC 8032 with ZIP-215 decoding, its default): keys are decoded by the library itself, and
// test/unit/ed25519.test.ts holds the two to the same answers.
//
// The module and its tables are the one piece of module-level state in the shared modules
// (worker/bundle.ts): each table is derived from a public key alone, so sharing it between workflows
// tells one watch nothing about another, and a workflow's result never depends on it. WebAssembly
// integer arithmetic is deterministic, and validators do not run on replay anyway.
import { ed25519 } from '@noble/curves/ed25519';
import { pow } from '@noble/curves/abstract/modular';
import { bytesToNumberLE, concatBytes, hexToBytes, numberToBytesLE } from '@noble/curves/utils';
import { ED25519_WASM_HEX } from './ed25519-wasm';

// What is used of the global (the build's Node types declare no WebAssembly values; the sandbox has it).
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
};

interface Exports {
  memory: { buffer: ArrayBuffer };
  io(): number;
  init(): void;
  keyTable(reuse: number): number;
  decodeR(): number;
  check(table: number): number;
}

type Curve = Exports & { at: number };

/**
 * The module with its base table, made at first use, synchronously (a validator cannot wait). Not at
 * load: the console's page bundles this module to sign, and its content policy allows no WebAssembly.
 */
const made: { curve?: Curve } = {};
const curve = (): Curve => (made.curve ??= instantiate());

function instantiate(): Curve {
  const module = new WebAssembly.Module(new Uint8Array(hexToBytes(ED25519_WASM_HEX)));
  const exports = new WebAssembly.Instance(module, {}).exports as unknown as Exports;
  const w = { ...exports, at: exports.io() };
  const base = ed25519.Point.BASE.toAffine();
  const p = ed25519.Point.Fp.ORDER;
  put(w, 0, ed25519.CURVE.d);
  put(w, 32, pow(2n, (p - 1n) / 4n, p)); // a square root of -1
  put(w, 64, base.x);
  put(w, 96, base.y);
  w.init();
  return w;
}

function put(w: Curve, offset: number, n: bigint): void {
  new Uint8Array(w.memory.buffer, w.at + offset, 32).set(numberToBytesLE(n, 32));
}

/** Keys kept per worker (a plan has a handful of people; workers serve a few plans); 160 KB each. */
const MAX_KEYS = 64;
const keys = new Map<string, { table: number; bytes: Uint8Array }>();

/** The key's table, built on first use (it throws for a key that is not a point). */
function keyOf(publicKeyHex: string): { table: number; bytes: Uint8Array } {
  let key = keys.get(publicKeyHex);
  if (!key) {
    const point = ed25519.Point.fromBytes(hexToBytes(publicKeyHex), true);
    const { x, y } = point.toAffine();
    let reuse = 0;
    if (keys.size >= MAX_KEYS) {
      const oldest = keys.keys().next().value!;
      reuse = keys.get(oldest)!.table;
      keys.delete(oldest);
    }
    const w = curve();
    put(w, 64, x);
    put(w, 96, y);
    key = { table: w.keyTable(reuse), bytes: point.toBytes() };
    keys.set(publicKeyHex, key);
  }
  return key;
}

/** Builds the tables of these keys now (at a watch's start), so no answer waits for one. */
export function warmKeys(publicKeysHex: Array<string | undefined>): void {
  for (const hex of publicKeysHex) {
    if (!hex) continue;
    try {
      keyOf(hex);
    } catch {
      // a key that is not a point: its signatures are refused when they come
    }
  }
}

/** Whether `signature` (64 bytes) is the key's signature over `message`. */
export function verifyEd25519(signature: Uint8Array, message: Uint8Array, publicKeyHex: string): boolean {
  if (signature.length !== 64) return false;
  let A: { table: number; bytes: Uint8Array };
  try {
    A = keyOf(publicKeyHex);
  } catch {
    return false;
  }
  // Refuses s outside [0, n): a malleated signature.
  const s = bytesToNumberLE(signature.subarray(32, 64));
  if (s >= ed25519.CURVE.n) return false;
  // The memory's buffer is fetched each time: a new key's table may have grown it.
  const w = curve();
  const view = new Uint8Array(w.memory.buffer, w.at, 96);
  view.set(signature.subarray(0, 32), 0);
  if (!w.decodeR()) return false;
  // The hash takes R as re-encoded (what the library does): decodeR wrote it back in place.
  const R = view.slice(0, 32);
  const k = bytesToNumberLE(ed25519.CURVE.hash(concatBytes(R, A.bytes, message))) % ed25519.CURVE.n;
  view.set(signature.subarray(32, 64), 32);
  view.set(numberToBytesLE(k, 32), 64);
  // [8][S]B = [8]R + [8][k]A
  return w.check(A.table) === 1;
}
