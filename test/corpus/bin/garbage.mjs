// Prints terminal garbage: escape sequences, control characters, invalid UTF-8, NULs, a very long line.
const out = process.stdout;
out.write('\x1b[31m\x1b[2J\x1b]0;pwned\x07READY?\r\n');
out.write(Buffer.from([0x00, 0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x0a]));
out.write('{"ok": true'); // JSON that never ends
out.write('\t\b\f\v'.repeat(50));
out.write('z'.repeat(20000) + '\n');
