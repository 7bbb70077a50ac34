import { spawn } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { cli } from './helpers';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

describe('sim/main.ts', () => {
  it('prints its URL when ready, plays a timeline, stops on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'symphony-main-'));
    const timeline = path.join(dir, 'timeline.json');
    fs.writeFileSync(timeline, JSON.stringify([{ hour: 0, set: [{ name: 'profile-drift' }] }]));
    const child = spawn(TSX, ['sim/main.ts', '--dir', dir, '--time-scale', '0.001', '--timeline', timeline], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(readline.createInterface({ input: child.stdout! }), 'line')) as [string];
      const ready = JSON.parse(line);
      expect(ready).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), port: expect.any(Number), dir });
      const r = await cli('symphony.mjs', ['policy', 'show'], { SYMPHONY_URL: ready.url });
      expect(r.stdout).toBe('Autonomy: 1\nProfile: dev\nKill switch: off\n');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
