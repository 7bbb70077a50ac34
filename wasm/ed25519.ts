// Ed25519 verification arithmetic in WebAssembly (AssemblyScript), for core/ed25519.ts: the same group
// equation as the library's ZIP-215 verify, several times faster than its BigInt field. It holds no
// secret, so nothing here needs to run in constant time. Built by scripts/build-wasm.ts into
// core/ed25519-wasm.ts; test/unit/ed25519.test.ts holds it to the library's answers.
//
// A field element is ten signed 64-bit limbs at 2^0, 2^26, 2^51, 2^77 ... 2^230 (26 and 25 bits in
// turn), so a product of two limbs and its sum of ten fit in 63 bits; every operation carries its
// result, which keeps each limb within 26 bits plus a little.

const FE: usize = 80;
const POINT: usize = 4 * FE;
/** One key's table: 64 radix-16 positions, the multiples 1 to 8 of each, in cached form. */
const TABLE: usize = 64 * 8 * POINT;

// Inputs and outputs shared with JavaScript: R (32 bytes), s (32), k (32), and key x and y (32 each).
const IO = memory.data(160, 16);
// Constants: d, 2d, the square root of -1, one.
const D = memory.data(80, 16);
const D2 = memory.data(80, 16);
const SQRTM1 = memory.data(80, 16);
const ONE = memory.data(80, 16);
// Scratch field elements, points and scalar digits.
const T0 = memory.data(80, 16);
const T1 = memory.data(80, 16);
const T2 = memory.data(80, 16);
const T3 = memory.data(80, 16);
const T4 = memory.data(80, 16);
const T5 = memory.data(80, 16);
const T6 = memory.data(80, 16);
const T7 = memory.data(80, 16);
const U = memory.data(80, 16);
const V = memory.data(80, 16);
const X = memory.data(80, 16);
const Y = memory.data(80, 16);
const R = memory.data(320, 16);
const ACC = memory.data(320, 16);
const P = memory.data(320, 16);
const S = memory.data(320, 16);
const C = memory.data(320, 16);
const DIGITS = memory.data(64, 16);

let heapNext: usize = 0;
let baseTable: usize = 0;

export function io(): usize {
  return IO;
}

// ---- field ----

function carry(h: usize): void {
  let h0 = load<i64>(h, 0);
  let h1 = load<i64>(h, 8);
  let h2 = load<i64>(h, 16);
  let h3 = load<i64>(h, 24);
  let h4 = load<i64>(h, 32);
  let h5 = load<i64>(h, 40);
  let h6 = load<i64>(h, 48);
  let h7 = load<i64>(h, 56);
  let h8 = load<i64>(h, 64);
  let h9 = load<i64>(h, 72);
  settle(h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

// Carries limb to limb (arithmetic shifts, so a limb ends in range whatever its sign) and folds the
// carry out of the top limb back in times 19, since 2^255 = 19 mod p.
function settle(h: usize, h0: i64, h1: i64, h2: i64, h3: i64, h4: i64, h5: i64, h6: i64, h7: i64, h8: i64, h9: i64): void {
  let c: i64;
  c = h0 >> 26;
  h1 += c;
  h0 -= c << 26;
  c = h1 >> 25;
  h2 += c;
  h1 -= c << 25;
  c = h2 >> 26;
  h3 += c;
  h2 -= c << 26;
  c = h3 >> 25;
  h4 += c;
  h3 -= c << 25;
  c = h4 >> 26;
  h5 += c;
  h4 -= c << 26;
  c = h5 >> 25;
  h6 += c;
  h5 -= c << 25;
  c = h6 >> 26;
  h7 += c;
  h6 -= c << 26;
  c = h7 >> 25;
  h8 += c;
  h7 -= c << 25;
  c = h8 >> 26;
  h9 += c;
  h8 -= c << 26;
  c = h9 >> 25;
  h0 += c * 19;
  h9 -= c << 25;
  c = h0 >> 26;
  h1 += c;
  h0 -= c << 26;
  store<i64>(h, h0, 0);
  store<i64>(h, h1, 8);
  store<i64>(h, h2, 16);
  store<i64>(h, h3, 24);
  store<i64>(h, h4, 32);
  store<i64>(h, h5, 40);
  store<i64>(h, h6, 48);
  store<i64>(h, h7, 56);
  store<i64>(h, h8, 64);
  store<i64>(h, h9, 72);
}

function feCopy(h: usize, f: usize): void {
  memory.copy(h, f, FE);
}

function feZero(h: usize): void {
  memory.fill(h, 0, FE);
}

function feAdd(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < FE; i += 8) store<i64>(h + i, load<i64>(f + i) + load<i64>(g + i));
  carry(h);
}

function feSub(h: usize, f: usize, g: usize): void {
  for (let i: usize = 0; i < FE; i += 8) store<i64>(h + i, load<i64>(f + i) - load<i64>(g + i));
  carry(h);
}

function feNeg(h: usize, f: usize): void {
  for (let i: usize = 0; i < FE; i += 8) store<i64>(h + i, -load<i64>(f + i));
  carry(h);
}

// A limb of position i times one of position j lands at i + j, doubled when both are odd (each is half
// a bit short of 25.5 i) and times 19 past the top.
function feMul(h: usize, f: usize, g: usize): void {
  const f0 = load<i64>(f, 0);
  const f1 = load<i64>(f, 8);
  const f2 = load<i64>(f, 16);
  const f3 = load<i64>(f, 24);
  const f4 = load<i64>(f, 32);
  const f5 = load<i64>(f, 40);
  const f6 = load<i64>(f, 48);
  const f7 = load<i64>(f, 56);
  const f8 = load<i64>(f, 64);
  const f9 = load<i64>(f, 72);
  const g0 = load<i64>(g, 0);
  const g1 = load<i64>(g, 8);
  const g2 = load<i64>(g, 16);
  const g3 = load<i64>(g, 24);
  const g4 = load<i64>(g, 32);
  const g5 = load<i64>(g, 40);
  const g6 = load<i64>(g, 48);
  const g7 = load<i64>(g, 56);
  const g8 = load<i64>(g, 64);
  const g9 = load<i64>(g, 72);
  const g1_19 = g1 * 19;
  const g2_19 = g2 * 19;
  const g3_19 = g3 * 19;
  const g4_19 = g4 * 19;
  const g5_19 = g5 * 19;
  const g6_19 = g6 * 19;
  const g7_19 = g7 * 19;
  const g8_19 = g8 * 19;
  const g9_19 = g9 * 19;
  const f1_2 = f1 * 2;
  const f3_2 = f3 * 2;
  const f5_2 = f5 * 2;
  const f7_2 = f7 * 2;
  const f9_2 = f9 * 2;
  let h0 =
    f0 * g0 + f1_2 * g9_19 + f2 * g8_19 + f3_2 * g7_19 + f4 * g6_19 + f5_2 * g5_19 + f6 * g4_19 + f7_2 * g3_19 + f8 * g2_19 + f9_2 * g1_19;
  let h1 = f0 * g1 + f1 * g0 + f2 * g9_19 + f3 * g8_19 + f4 * g7_19 + f5 * g6_19 + f6 * g5_19 + f7 * g4_19 + f8 * g3_19 + f9 * g2_19;
  let h2 = f0 * g2 + f1_2 * g1 + f2 * g0 + f3_2 * g9_19 + f4 * g8_19 + f5_2 * g7_19 + f6 * g6_19 + f7_2 * g5_19 + f8 * g4_19 + f9_2 * g3_19;
  let h3 = f0 * g3 + f1 * g2 + f2 * g1 + f3 * g0 + f4 * g9_19 + f5 * g8_19 + f6 * g7_19 + f7 * g6_19 + f8 * g5_19 + f9 * g4_19;
  let h4 = f0 * g4 + f1_2 * g3 + f2 * g2 + f3_2 * g1 + f4 * g0 + f5_2 * g9_19 + f6 * g8_19 + f7_2 * g7_19 + f8 * g6_19 + f9_2 * g5_19;
  let h5 = f0 * g5 + f1 * g4 + f2 * g3 + f3 * g2 + f4 * g1 + f5 * g0 + f6 * g9_19 + f7 * g8_19 + f8 * g7_19 + f9 * g6_19;
  let h6 = f0 * g6 + f1_2 * g5 + f2 * g4 + f3_2 * g3 + f4 * g2 + f5_2 * g1 + f6 * g0 + f7_2 * g9_19 + f8 * g8_19 + f9_2 * g7_19;
  let h7 = f0 * g7 + f1 * g6 + f2 * g5 + f3 * g4 + f4 * g3 + f5 * g2 + f6 * g1 + f7 * g0 + f8 * g9_19 + f9 * g8_19;
  let h8 = f0 * g8 + f1_2 * g7 + f2 * g6 + f3_2 * g5 + f4 * g4 + f5_2 * g3 + f6 * g2 + f7_2 * g1 + f8 * g0 + f9_2 * g9_19;
  let h9 = f0 * g9 + f1 * g8 + f2 * g7 + f3 * g6 + f4 * g5 + f5 * g4 + f6 * g3 + f7 * g2 + f8 * g1 + f9 * g0;
  settle(h, h0, h1, h2, h3, h4, h5, h6, h7, h8, h9);
}

function feSq(h: usize, f: usize): void {
  feMul(h, f, f);
}

/** h = f^(2^n) */
function feSqTimes(h: usize, f: usize, n: i32): void {
  feMul(h, f, f);
  for (let i = 1; i < n; i++) feMul(h, h, h);
}

/** h = z^((p - 5) / 8) = z^(2^252 - 3), by the usual chain through z^(2^250 - 1). */
function fePow22523(h: usize, z: usize): void {
  const z2 = T0;
  const z9 = T1;
  const z11 = T2;
  const a = T3;
  const b = T4;
  const c = T5;
  feSq(z2, z);
  feSqTimes(a, z2, 2);
  feMul(z9, a, z);
  feMul(z11, z9, z2);
  feSq(a, z11);
  feMul(a, a, z9); // 2^5 - 1
  feSqTimes(b, a, 5);
  feMul(b, b, a); // 2^10 - 1
  feSqTimes(c, b, 10);
  feMul(c, c, b); // 2^20 - 1
  feSqTimes(z2, c, 20);
  feMul(c, z2, c); // 2^40 - 1
  feSqTimes(c, c, 10);
  feMul(c, c, b); // 2^50 - 1
  feCopy(a, c);
  feSqTimes(b, c, 50);
  feMul(b, b, a); // 2^100 - 1
  feSqTimes(c, b, 100);
  feMul(c, c, b); // 2^200 - 1
  feSqTimes(c, c, 50);
  feMul(c, c, a); // 2^250 - 1
  feSqTimes(c, c, 2);
  feMul(h, c, z); // 2^252 - 3
}

/** Reduces h in place to the one representative in [0, p), limbs in range. */
function feFreeze(h: usize): void {
  for (let pass = 0; pass < 4; pass++) {
    carry(h);
    let inRange = true;
    for (let i = 0; i < 10; i++) {
      const limb = load<i64>(h + (usize(i) << 3));
      const bits: i64 = i & 1 ? 25 : 26;
      if (limb < 0 || limb >> bits != 0) inRange = false;
    }
    if (inRange) break;
  }
  // Now 0 <= h < 2^255; it is p or more exactly when h + 19 reaches 2^255.
  let c: i64 = 19;
  for (let i = 0; i < 10; i++) {
    const bits: i64 = i & 1 ? 25 : 26;
    c = (load<i64>(h + (usize(i) << 3)) + c) >> bits;
  }
  if (c == 0) return;
  c = 19;
  for (let i = 0; i < 10; i++) {
    const at = h + (usize(i) << 3);
    const bits: i64 = i & 1 ? 25 : 26;
    const v = load<i64>(at) + c;
    c = v >> bits;
    store<i64>(at, v - (c << bits));
  }
}

function feIsZero(f: usize): bool {
  feCopy(T7, f);
  feFreeze(T7);
  for (let i: usize = 0; i < FE; i += 8) if (load<i64>(T7 + i) != 0) return false;
  return true;
}

function feEqual(f: usize, g: usize): bool {
  feSub(T6, f, g);
  return feIsZero(T6);
}

function feIsOdd(f: usize): bool {
  feCopy(T7, f);
  feFreeze(T7);
  return (load<i64>(T7) & 1) != 0;
}

/** The 255 low bits of 32 little-endian bytes; the top bit is left out (the sign of x). */
function feFromBytes(h: usize, s: usize): void {
  let at: i32 = 0;
  for (let i = 0; i < 10; i++) {
    const bits: i32 = i & 1 ? 25 : 26;
    let word: u64 = 0;
    for (let b = 0; b < 5; b++) {
      const byte = (at >> 3) + b;
      if (byte < 32) word |= u64(load<u8>(s + usize(byte))) << u64(b * 8);
    }
    const v = (word >> u64(at & 7)) & ((u64(1) << u64(bits)) - 1);
    store<i64>(h + (usize(i) << 3), i64(v));
    at += bits;
  }
}

/** 32 little-endian bytes of the reduced value. */
function feToBytes(s: usize, f: usize): void {
  feCopy(T7, f);
  feFreeze(T7);
  let acc: u64 = 0;
  let have: i32 = 0;
  let out: usize = 0;
  for (let i = 0; i < 10; i++) {
    acc |= u64(load<i64>(T7 + (usize(i) << 3))) << u64(have);
    have += i & 1 ? 25 : 26;
    while (have >= 8 && out < 32) {
      store<u8>(s + out, u8(acc & 0xff));
      acc >>= 8;
      have -= 8;
      out++;
    }
  }
  while (out < 32) {
    store<u8>(s + out, u8(acc & 0xff));
    acc >>= 8;
    out++;
  }
}

// ---- points: extended (X, Y, Z, T) with x = X/Z, y = Y/Z, xy = T/Z; cached (Y+X, Y-X, 2Z, 2dT) ----

function px(p: usize): usize {
  return p;
}
function py(p: usize): usize {
  return p + FE;
}
function pz(p: usize): usize {
  return p + 2 * FE;
}
function pt(p: usize): usize {
  return p + 3 * FE;
}

function ptCached(c: usize, p: usize): void {
  feAdd(px(c), py(p), px(p));
  feSub(py(c), py(p), px(p));
  feAdd(pz(c), pz(p), pz(p));
  feMul(pt(c), pt(p), D2);
}

/** r = p + q, or p - q when negate: the complete formulas for a = -1 (r may be p). */
function ptAdd(r: usize, p: usize, q: usize, negate: bool): void {
  const a = T0;
  const b = T1;
  const c = T2;
  const d = T3;
  const e = T4;
  const f = T5;
  feSub(e, py(p), px(p));
  feAdd(f, py(p), px(p));
  // -q swaps Y+X with Y-X and negates 2dT.
  feMul(a, e, negate ? px(q) : py(q));
  feMul(b, f, negate ? py(q) : px(q));
  feMul(c, pt(p), pt(q));
  if (negate) feNeg(c, c);
  feMul(d, pz(p), pz(q));
  feSub(e, b, a);
  feSub(f, d, c);
  feAdd(d, d, c); // g
  feAdd(b, b, a); // h
  feMul(px(r), e, f);
  feMul(py(r), d, b);
  feMul(pt(r), e, b);
  feMul(pz(r), f, d);
}

/** r = 2p (r may be p). */
function ptDouble(r: usize, p: usize): void {
  const a = T0;
  const b = T1;
  const c = T2;
  const e = T3;
  const g = T4;
  const f = T5;
  feSq(a, px(p));
  feSq(b, py(p));
  feSq(c, pz(p));
  feAdd(c, c, c);
  feAdd(e, px(p), py(p));
  feSq(e, e);
  feSub(e, e, a);
  feSub(e, e, b); // 2xy
  feSub(g, b, a); // y^2 - x^2 (a = -1)
  feSub(f, g, c);
  feAdd(a, a, b);
  feNeg(a, a); // -(x^2 + y^2)
  feMul(px(r), e, f);
  feMul(py(r), g, a);
  feMul(pt(r), e, a);
  feMul(pz(r), f, g);
}

function ptIsIdentity(p: usize): bool {
  return feIsZero(px(p)) && feEqual(py(p), pz(p));
}

/** Writes the table of the affine point (x, y) at table: entry [i][j] is (j + 1) 16^i (x, y). */
function buildTable(table: usize, x: usize, y: usize): void {
  feCopy(px(P), x);
  feCopy(py(P), y);
  feCopy(pz(P), ONE);
  feMul(pt(P), x, y);
  for (let i: usize = 0; i < 64; i++) {
    const row = table + i * 8 * POINT;
    ptCached(C, P);
    memory.copy(row, C, POINT);
    memory.copy(S, P, POINT);
    for (let j: usize = 1; j < 8; j++) {
      ptAdd(S, S, C, false);
      ptCached(row + j * POINT, S);
    }
    ptDouble(P, S); // 16 times the row's first point
  }
}

/** The scalar at s (32 bytes, below 2^253) as 64 signed digits in [-8, 8]. */
function digits(s: usize): void {
  for (let i: usize = 0; i < 32; i++) {
    const byte = load<u8>(s + i);
    store<i8>(DIGITS + 2 * i, i8(byte & 15));
    store<i8>(DIGITS + 2 * i + 1, i8(byte >> 4));
  }
  for (let i: usize = 0; i < 63; i++) {
    const e = i32(load<i8>(DIGITS + i));
    const c = (e + 8) >> 4;
    store<i8>(DIGITS + i, i8(e - (c << 4)));
    store<i8>(DIGITS + i + 1, i8(i32(load<i8>(DIGITS + i + 1)) + c));
  }
}

/** acc += (scalar at s) times the table's point, or minus that when negate. */
function addMultiple(table: usize, s: usize, negate: bool): void {
  digits(s);
  for (let i: usize = 0; i < 64; i++) {
    const e = i32(load<i8>(DIGITS + i));
    if (e == 0) continue;
    const entry = table + i * 8 * POINT + usize((e < 0 ? -e : e) - 1) * POINT;
    ptAdd(ACC, ACC, entry, e < 0 != negate);
  }
}

// ---- exports ----

function allocTable(): usize {
  if (heapNext == 0) heapNext = (__heap_base + 15) & ~15;
  const at = heapNext;
  heapNext += TABLE;
  const need = i32((heapNext + 0xffff) >> 16) - memory.size();
  if (need > 0 && memory.grow(need) < 0) unreachable();
  return at;
}

/** Sets the constants from IO: d, the square root of -1, the base point's x and y (32 bytes each). */
export function init(): void {
  feFromBytes(D, IO);
  feAdd(D2, D, D);
  feFromBytes(SQRTM1, IO + 32);
  feZero(ONE);
  store<i64>(ONE, 1);
  feFromBytes(X, IO + 64);
  feFromBytes(Y, IO + 96);
  baseTable = allocTable();
  buildTable(baseTable, X, Y);
}

/** A table for the key whose affine x and y are in IO + 64 and IO + 96; into `reuse` when given. */
export function keyTable(reuse: usize): usize {
  const table = reuse != 0 ? reuse : allocTable();
  feFromBytes(X, IO + 64);
  feFromBytes(Y, IO + 96);
  buildTable(table, X, Y);
  return table;
}

/**
 * Decodes R (IO, 32 bytes) as ZIP-215 does: y may be p or more, and x = 0 with the sign bit set is
 * taken as x = 0. Writes R's canonical encoding back over IO[0, 32) and returns false when R is not a
 * point.
 */
export function decodeR(): bool {
  const sign = load<u8>(IO + 31) >> 7 != 0;
  feFromBytes(Y, IO);
  feSq(U, Y);
  feMul(V, U, D);
  feSub(U, U, ONE); // y^2 - 1
  feAdd(V, V, ONE); // d y^2 + 1
  // x = u v^3 (u v^7)^((p - 5) / 8)
  feSq(X, V);
  feMul(X, X, V); // v^3
  feSq(T6, X);
  feMul(T6, T6, V); // v^7
  feMul(T6, T6, U);
  fePow22523(T6, T6);
  feMul(T6, T6, U);
  feMul(X, X, T6);
  // v x^2 is u, or -u when x needs the square root of -1
  feSq(T6, X);
  feMul(T6, T6, V);
  feSub(T5, T6, U);
  if (!feIsZero(T5)) {
    feAdd(T5, T6, U);
    if (!feIsZero(T5)) return false;
    feMul(X, X, SQRTM1);
  }
  if (feIsOdd(X) != sign) feNeg(X, X);
  feCopy(px(R), X);
  feCopy(py(R), Y);
  feCopy(pz(R), ONE);
  feMul(pt(R), X, Y);
  feToBytes(IO, Y);
  if (feIsOdd(X)) store<u8>(IO + 31, load<u8>(IO + 31) | 0x80);
  return true;
}

/** [8](R + [k]A - [s]B) is the identity: s at IO + 32, k at IO + 64 (both below the group order). */
export function check(keyTable: usize): bool {
  memory.copy(ACC, R, POINT);
  addMultiple(keyTable, IO + 64, false);
  addMultiple(baseTable, IO + 32, true);
  ptDouble(ACC, ACC);
  ptDouble(ACC, ACC);
  ptDouble(ACC, ACC);
  return ptIsIdentity(ACC);
}
