import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { probeHttp, signBody, type HttpRequestSpec } from '../../probes/http/request';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

let server: Server;
let base: string;
let handle: Handler = (_req, _body, res) => res.end();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function spec(path: string, more: Partial<HttpRequestSpec> = {}): HttpRequestSpec {
  return { method: 'GET', url: `${base}${path}`, headers: {}, timeoutMs: 10_000, maxBodyBytes: 65_536, ...more };
}

describe('probeHttp', () => {
  it('records status, response time and a JSON body', async () => {
    handle = (_req, _body, res) => res.setHeader('content-type', 'application/json').end('{"cards":[{"status":"green"}]}');
    const seen = await probeHttp(spec('/api/cards'));
    expect(seen).toMatchObject({ status: 200, body: { cards: [{ status: 'green' }] }, bodyIsJson: true, bodyTruncated: false });
    expect(seen.failure).toBeUndefined();
    expect(seen.responseTimeMs).toBeGreaterThanOrEqual(0);
  });

  it('keeps a non-JSON body as text', async () => {
    handle = (_req, _body, res) => res.end('<html>oops</html>');
    const seen = await probeHttp(spec('/'));
    expect(seen).toMatchObject({ status: 200, body: '<html>oops</html>', bodyIsJson: false });
  });

  it('reports an error status as a result, not a failure', async () => {
    handle = (_req, _body, res) => res.writeHead(503).end('{"error":"down"}');
    const seen = await probeHttp(spec('/'));
    expect(seen).toMatchObject({ status: 503, body: { error: 'down' } });
    expect(seen.failure).toBeUndefined();
  });

  it('sends method, headers and a JSON-encoded body', async () => {
    let received: { method?: string; type?: string; token?: string; body?: string } = {};
    handle = (req, body, res) => {
      received = { method: req.method, type: req.headers['content-type'], token: req.headers['x-token'] as string, body };
      res.end('ok');
    };
    await probeHttp(spec('/', { method: 'POST', headers: { 'X-Token': 't' }, body: { peer: 'loopback' } }));
    expect(received).toEqual({ method: 'POST', type: 'application/json', token: 't', body: '{"peer":"loopback"}' });
  });

  it('signs the raw body with HMAC-SHA256 from the environment', async () => {
    const secret = 'federation-secret';
    let verdict = '';
    handle = (req, body, res) => {
      const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      verdict = req.headers['x-signature-256'] === expected ? 'valid' : `invalid: ${String(req.headers['x-signature-256'])}`;
      res.end(JSON.stringify({ hmac: verdict }));
    };
    const seen = await probeHttp(
      spec('/federation/ping', {
        method: 'POST',
        body: { peer: 'loopback', nonce: 7 },
        sign: { secretEnv: 'RW_TEST_SECRET', header: 'X-Signature-256' },
      }),
      { RW_TEST_SECRET: secret },
    );
    expect(verdict).toBe('valid');
    expect(seen.body).toEqual({ hmac: 'valid' });
    expect(signBody('', secret)).toBe(`sha256=${createHmac('sha256', secret).update('').digest('hex')}`);
  });

  it('fails, naming the variable, when the signing secret is missing', async () => {
    const seen = await probeHttp(spec('/', { method: 'POST', body: 'x', sign: { secretEnv: 'RW_NO_SUCH_SECRET', header: 'X-Sig' } }), {});
    expect(seen.failure).toBe('cannot sign the request: environment variable RW_NO_SUCH_SECRET is not set');
    expect(seen.status).toBeUndefined();
  });

  it('caps a huge body and says so', async () => {
    handle = (_req, _body, res) => res.end('y'.repeat(2_000_000));
    const seen = await probeHttp(spec('/', { maxBodyBytes: 1_000 }));
    expect(seen.bodyText).toBe('y'.repeat(1_000));
    expect(seen.bodyTruncated).toBe(true);
    expect(seen.status).toBe(200);
  });

  it('fails with a timeout when the service hangs', async () => {
    handle = () => undefined;
    const seen = await probeHttp(spec('/hang', { timeoutMs: 200 }));
    expect(seen.failure).toBe('timed out after 200ms');
    expect(seen.status).toBeUndefined();
  });

  it('fails when the connection is refused', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const seen = await probeHttp(spec('', { url: `http://127.0.0.1:${port}/health` }));
    expect(seen.failure).toMatch(/^connection refused \(.*ECONNREFUSED/);
  });

  it('fails on a URL that is not one', async () => {
    const seen = await probeHttp(spec('', { url: 'not a url' }));
    expect(seen.failure).toMatch(/^request failed: /);
  });
});
