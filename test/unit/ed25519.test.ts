// The validators' Ed25519 verification (core/ed25519.ts: keys decoded once, with their tables) gives
// the library's own answer for good signatures and for every kind of bad one.
import { randomBytes } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519';
import { bytesToHex, bytesToNumberLE, numberToBytesLE } from '@noble/curves/utils';
import { verifyEd25519, warmKeys } from '../../core/ed25519';

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
