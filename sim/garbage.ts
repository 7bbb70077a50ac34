// Bytes that are not JSON (nor UTF-8), served with a 200 by the `garbage` fault.

const PATTERN = Buffer.concat([
  Buffer.from([0x00, 0xff, 0xfe, 0x1b]),
  Buffer.from('[31m{"services": <<garbled>> \u2603 not json ]]'),
  Buffer.from([0xc3, 0x28, 0x0a]),
]);

export function garbage(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += PATTERN.length) PATTERN.copy(out, i, 0, Math.min(PATTERN.length, size - i));
  return out;
}
