// The garbage-probe corpus: every case of test/corpus/probes.json through runCheck. A probe that
// answers garbage, floods, hangs or is missing gives a failed check with its reason: never a throw,
// never more than 2000 characters of evidence.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRunCheck } from '../../activities/checks';

const runCheck = createRunCheck(process.env);
import type { CheckRequest, Release } from '../../core/messages';
import { Check, type CheckSpec } from '../../plan/schema';
import corpus from './probes.json';

interface ProbeCase {
  name: string;
  check: Record<string, unknown>;
  release?: Partial<Record<keyof Release, string | null>>;
  reason?: string;
  reasonMatch?: string;
  evidence?: string[];
  bug?: string;
}
const cases = corpus.cases as ProbeCase[];

const BIN = join(__dirname, 'bin');
const MISSING = join(__dirname, 'no-such-folder');
const MAX_EVIDENCE = 2000;
const RELEASE: Release = { service: 'symphony', version: 'v1.0', commit: '3f2a9c1', deployedAt: '2025-01-01T00:00:00Z' };

let server: Server;
let http = '';
let closed = '';

/** A service answering badly in every way the cases need. */
function garbageServer(): Server {
  return createServer((req, res) => {
    switch (req.url) {
      case '/garbage':
        res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Service Unavailable</body></html>\n');
        return;
      case '/error':
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"internal"}');
        return;
      case '/binary':
        res
          .writeHead(200, { 'content-type': 'application/octet-stream' })
          .end(Buffer.from([0, 255, 254, 1, 2, 3, 128, 129, 10, 0, 0, 0xc3, 0x28]));
        return;
      case '/huge': {
        // 6 MB of a JSON array that is never closed; stops when the client has had enough.
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.from('[' + '"garbage",'.repeat(6553));
        let left = 96;
        const pump = () => {
          while (left > 0 && !res.destroyed) {
            left--;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          if (!res.destroyed) res.end();
        };
        res.on('error', () => undefined);
        pump();
        return;
      }
      case '/never':
        return; // never answers; closed at the end
      case '/stall':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"ok":');
        return; // the body never ends
      case '/reset':
        req.socket.destroy();
        return;
      case '/loop':
        res.writeHead(302, { location: '/loop' }).end();
        return;
      default:
        res.writeHead(404).end();
    }
  });
}

beforeAll(async () => {
  server = garbageServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  http = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was just free: nobody listens on it.
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  closed = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
  await new Promise((resolve) => gone.close(resolve));
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

/** The data file's placeholders, in expected texts. */
function text(s: string): string {
  const values: Record<string, string> = { node: process.execPath, bin: BIN, http, closed, missing: MISSING, corpus: __dirname };
  return s.replace(/\$\{(node|bin|http|closed|missing|corpus)\}/g, (_, name: string) => values[name]);
}

function request(c: ProbeCase): CheckRequest {
  const release: Release = { ...RELEASE };
  for (const [key, value] of Object.entries(c.release ?? {})) {
    if (value === null) delete release[key as keyof Release];
    else release[key as keyof Release] = value as never;
  }
  return {
    watchId: 'watch-corpus',
    checkId: 'corpus-probe',
    hour: 1,
    check: Check.parse({ description: c.name, severity: 'high', category: 'availability', ...c.check }) as CheckSpec,
    vars: {
      node: { default: process.execPath },
      bin: { default: BIN },
      http: { default: http },
      closed: { default: closed },
      missing: { default: MISSING },
      corpus: { default: __dirname },
    },
    release,
    triggers: [],
  };
}

async function runCase(c: ProbeCase): Promise<void> {
  const result = await runCheck(request(c));
  expect({ outcome: result.outcome, severity: result.severity }).toEqual({ outcome: 'fail', severity: 'high' });
  if (c.reason !== undefined) expect(result.reason).toBe(text(c.reason));
  else expect(result.reason).toMatch(new RegExp(c.reasonMatch!));
  expect(result.reason.length).toBeLessThanOrEqual(MAX_EVIDENCE);
  expect(result.evidence.length).toBeLessThanOrEqual(MAX_EVIDENCE);
  for (const part of c.evidence ?? []) expect(result.evidence).toContain(text(part));
}

test('the corpus covers command, http and log probes', () => {
  const kinds = cases.map((c) => (c.check.probe as { kind: string }).kind);
  expect(new Set(kinds)).toEqual(new Set(['command', 'http', 'log']));
  for (const c of cases) expect(c.reason === undefined).not.toBe(c.reasonMatch === undefined);
});

describe('runCheck', () => {
  test.each(cases.filter((c) => !c.bug))('$name', runCase);
  const bugs = cases.filter((c) => c.bug);
  if (bugs.length) (process.env.CORPUS_BUGS ? test : test.failing).each(bugs)('$name (product bug, see probes.json)', runCase);
});
