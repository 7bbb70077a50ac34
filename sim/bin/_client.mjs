// Shared by the command-line fronts: talk to the simulator at $SYMPHONY_URL.
// No timeout on purpose: a hanging service hangs the command, as the real tools would.

import http from 'node:http';

export function fail(prog, code, message) {
  process.stderr.write(`${prog}: ${message}\n`);
  process.exitCode = code;
}

/** Sends one request; resolves to { status, body: Buffer }, or undefined (reported) when unreachable. */
export function call(prog, method, path, body, headers = {}) {
  const base = process.env.SYMPHONY_URL;
  if (!base) {
    fail(prog, 1, 'SYMPHONY_URL is not set');
    return Promise.resolve(undefined);
  }
  let url;
  try {
    url = new URL(path, base);
  } catch {
    fail(prog, 1, `SYMPHONY_URL is not a URL: ${base}`);
    return Promise.resolve(undefined);
  }
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : Buffer.from(body);
    const req = http.request(
      url,
      {
        method,
        headers: { ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}), ...headers },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', (err) => {
          fail(prog, 1, `connection to ${url.origin} broke: ${err.message}`);
          resolve(undefined);
        });
      },
    );
    req.on('error', (err) => {
      fail(prog, 1, `cannot reach the service at ${url.origin}: ${err.message}`);
      resolve(undefined);
    });
    req.end(data);
  });
}

export function parseJson(buf) {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Prints the body as the server sent it (garbage included); an error status gives exit 1. */
export function printRaw(res) {
  process.stdout.write(res.body);
  if (res.body.length === 0 || res.body[res.body.length - 1] !== 0x0a) process.stdout.write('\n');
  if (res.status >= 400) process.exitCode = 1;
}

export function printLines(res, lines) {
  process.stdout.write(lines.join('\n') + '\n');
  if (res.status >= 400) process.exitCode = 1;
}
