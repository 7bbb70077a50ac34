// Writes megabytes: `node flood.mjs <MB to stdout> <MB to stderr> <exit code>`, in 64 KB chunks.
const [outMb = '4', errMb = '0', code = '0'] = process.argv.slice(2);
const chunk = Buffer.alloc(65536, 'A');
const write = (stream, mb) =>
  new Promise((resolve) => {
    let left = Math.round(Number(mb) * 16);
    const next = () => {
      while (left > 0) {
        left--;
        if (!stream.write(chunk)) return stream.once('drain', next);
      }
      resolve();
    };
    next();
  });
await Promise.all([write(process.stdout, outMb), write(process.stderr, errMb)]);
process.exitCode = Number(code);
