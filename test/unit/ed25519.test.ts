// The validators' Ed25519 verification (core/ed25519.ts: keys decoded once, with their tables) gives
// the library's own answer for good signatures and for every kind of bad one.
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils';
import { readFileSync } from 'node:fs';
import { verifyEd25519, warmKeys } from '../../core/ed25519';
import { TARGET, compile, moduleText } from '../../scripts/build-wasm';

const key = () => {
  const secret = new Uint8Array(randomBytes(32));
  return { secret, publicKey: bytesToHex(ed25519.getPublicKey(secret)) };
};
const text = (s: string) => new TextEncoder().encode(s);

/** Both verifications, which must agree. */
function both(sig: Uint8Array, msg: Uint8Array, publicKey: string): boolean {
  const ours = verifyEd25519(sig, msg, publicKey);
  let library: boolean;
  try {
    library = ed25519.verify(sig, msg, publicKey);
  } catch {
    library = false;
  }
  expect(ours).toBe(library);
  return ours;
}

test('a good signature verifies, again and again with the same key', () => {
  const k = key();
  for (let i = 0; i < 5; i++) {
    const msg = text(`release-watch-approval-v1\nwatch-x\ndecide\n${i}`);
    expect(both(ed25519.sign(msg, k.secret), msg, k.publicKey)).toBe(true);
  }
});

test('an altered message, an altered signature or another key does not', () => {
  const k = key();
  const other = key();
  const msg = text('release-watch-approval-v1\nwatch-x\nack\nnonce\n{"by":"duty-engineer"}');
  const sig = ed25519.sign(msg, k.secret);
  expect(both(sig, text('release-watch-approval-v1\nwatch-y\nack\nnonce\n{"by":"duty-engineer"}'), k.publicKey)).toBe(false);
  expect(both(sig, msg, other.publicKey)).toBe(false);
  for (const at of [0, 17, 31, 32, 45, 63]) {
    const bad = Uint8Array.from(sig);
    bad[at] ^= 0x01;
    expect(both(bad, msg, k.publicKey)).toBe(false);
  }
  expect(both(sig.subarray(0, 63), msg, k.publicKey)).toBe(false);
});

test('a malleated signature (s + n) is refused', () => {
  const k = key();
  const msg = text('approve 1');
  const sig = ed25519.sign(msg, k.secret);
  const s = bytesToNumberLE(sig.subarray(32));
  const malleated = Uint8Array.from([...sig.subarray(0, 32), ...numberToBytesLE(s + ed25519.CURVE.n, 32)]);
  expect(both(malleated, msg, k.publicKey)).toBe(false);
});

test('a key that is not a point verifies nothing, and warming it is harmless', () => {
  const k = key();
  const msg = text('decide');
  const sig = ed25519.sign(msg, k.secret);
  // y = 2 is not on the curve.
  const notAPoint = bytesToHex(numberToBytesLE(2n, 32));
  expect(() => warmKeys([notAPoint, undefined, k.publicKey])).not.toThrow();
  expect(both(sig, msg, notAPoint)).toBe(false);
  expect(both(sig, msg, k.publicKey)).toBe(true);
});

test('the identity as a key (small order, allowed by ZIP-215) gives the library answer', () => {
  const identity = bytesToHex(ed25519.Point.ZERO.toBytes());
  const k = key();
  const msg = text('x');
  expect(both(ed25519.sign(msg, k.secret), msg, identity)).toBe(false);
});

// ZIP-215's hard cases: points of small order as keys and as R, in canonical and non-canonical
// encodings (y at p or above, x = 0 with the sign bit set). The library accepts many of these; the
// WebAssembly decoding and the cofactored equation must give its answer for each.
const P = ed25519.Point.Fp.ORDER;
const encode = (y: bigint, signBit: boolean) => {
  const bytes = numberToBytesLE(y, 32);
  if (signBit) bytes[31] |= 0x80;
  return bytes;
};
const smallOrder = ed25519.Point.fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', true); // order 8
const smallOrderEncodings = (() => {
  const out: Uint8Array[] = [];
  let q = ed25519.Point.ZERO;
  for (let i = 0; i < 8; i++) {
    const { x, y } = q.toAffine();
    out.push(encode(y, (x & 1n) === 1n));
    out.push(encode(y, (x & 1n) === 0n)); // the other sign: x = 0 with the bit set, or not a point's
    if (y + P < 2n ** 255n) out.push(encode(y + P, (x & 1n) === 1n)); // y at p or above
    q = q.add(smallOrder);
  }
  return out;
})();

test('small-order keys and R, canonical or not, with s = 0: the library answer for every pair', () => {
  expect(smallOrder.multiplyUnsafe(8n).is0()).toBe(true);
  expect(smallOrder.multiplyUnsafe(4n).is0()).toBe(false);
  const msg = text('Zcash');
  const zeroS = new Uint8Array(32);
  let accepted = 0;
  for (const A of smallOrderEncodings)
    for (const R of smallOrderEncodings) if (both(Uint8Array.from([...R, ...zeroS]), msg, bytesToHex(A))) accepted++;
  // Most pairs verify under ZIP-215's cofactored equation; a case that does not is refused by both.
  expect(accepted).toBeGreaterThan(100);
});

test('a small-order R in a non-canonical encoding: the hash takes it re-encoded, as the library does', () => {
  const secret = new Uint8Array(randomBytes(32));
  const { scalar: a, pointBytes } = ed25519.utils.getExtendedPublicKey(secret);
  const publicKey = bytesToHex(pointBytes);
  let checked = 0;
  for (const R of smallOrderEncodings) {
    let Rpoint;
    try {
      Rpoint = ed25519.Point.fromBytes(R, true);
    } catch {
      continue;
    }
    const msg = text(`approve ${checked}`);
    // [8]sB = [8]R + [8]kA holds for s = k a when R has small order.
    const k = bytesToNumberLE(ed25519.CURVE.hash(Uint8Array.from([...Rpoint.toBytes(), ...pointBytes, ...msg]))) % ed25519.CURVE.n;
    const s = (k * a) % ed25519.CURVE.n;
    expect(both(Uint8Array.from([...R, ...numberToBytesLE(s, 32)]), msg, publicKey)).toBe(true);
    // The hash over the bytes as sent (not re-encoded) gives another k: refused when they differ.
    const kRaw = bytesToNumberLE(ed25519.CURVE.hash(Uint8Array.from([...R, ...pointBytes, ...msg]))) % ed25519.CURVE.n;
    both(Uint8Array.from([...R, ...numberToBytesLE((kRaw * a) % ed25519.CURVE.n, 32)]), msg, publicKey);
    checked++;
  }
  expect(checked).toBeGreaterThan(10);
});

test('random R and s and many keys: the library answer for each', () => {
  const keys = Array.from({ length: 8 }, key);
  let good = 0;
  for (let i = 0; i < 400; i++) {
    const k = keys[i % keys.length];
    const msg = text(`decide ${i}`);
    let sig: Uint8Array;
    if (i % 4 === 0) sig = ed25519.sign(msg, k.secret);
    else if (i % 4 === 1) sig = Uint8Array.from([...new Uint8Array(randomBytes(32)), ...ed25519.sign(msg, k.secret).subarray(32)]);
    else if (i % 4 === 2)
      sig = Uint8Array.from([
        ...ed25519.sign(msg, k.secret).subarray(0, 32),
        ...numberToBytesLE(bytesToNumberLE(randomBytes(32)) % ed25519.CURVE.n, 32),
      ]);
    else sig = ed25519.sign(msg, keys[(i + 1) % keys.length].secret);
    if (both(sig, msg, k.publicKey)) good++;
  }
  expect(good).toBe(100);
});

test('more keys than the cache keeps: an evicted key is rebuilt and still verifies', () => {
  const first = key();
  const msg = text('ack');
  const sig = ed25519.sign(msg, first.secret);
  expect(both(sig, msg, first.publicKey)).toBe(true);
  warmKeys(Array.from({ length: 70 }, () => key().publicKey));
  expect(both(sig, msg, first.publicKey)).toBe(true);
  const last = key();
  expect(both(ed25519.sign(msg, last.secret), msg, last.publicKey)).toBe(true);
});

test('the committed WebAssembly is what wasm/ed25519.ts compiles to', () => {
  expect(readFileSync(TARGET, 'utf8')).toBe(moduleText(compile()));
});
