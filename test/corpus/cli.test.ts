// The bad-command-line corpus: every case of test/corpus/cli.json through `release-watch`, exit 2 and the
// exact refusal on stderr, nothing written. None needs a Temporal server: each is refused before one is asked.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import corpus from './cli.json';

const ROOT = join(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'release-watch');

interface CliCase {
  name: string;
  args: string[];
  /** The refusal on stderr; or, with --json, the error object on stdout. */
  stderr?: string;
  json?: unknown;
}

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // An address nothing listens on: a case that tried to reach Temporal would fail another way.
    const env = { ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:9', ORDERS_API_URL: '', ORDERS_API_LOG: '' };
    execFile(CLI, args, { cwd, env, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

test.each(corpus.cases as CliCase[])('$name', async (c) => {
  const dir = mkdtempSync(join(tmpdir(), 'rw-cli-corpus-'));
  try {
    const fill = (s: string) => s.split('${ROOT}').join(ROOT).split('${DIR}').join(dir);
    const { code, stdout, stderr } = await run(c.args.map(fill), dir);
    if (c.json) expect({ code, json: JSON.parse(stdout), stderr }).toEqual({ code: 2, json: c.json, stderr: '' });
    else expect({ code, stdout, stderr }).toEqual({ code: 2, stdout: '', stderr: `${fill(c.stderr!)}\n` });
    expect(readdirSync(dir)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
