// Command-line entry: npx tsx sim/main.ts --dir D [--time-scale 0.0333] [--port 0]
//   [--hmac-secret S] [--timeline file.json|demo]
// Prints {"url":...,"port":...,"dir":...} as one JSON line when ready; stops on SIGTERM/SIGINT.

import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { DEMO_TIMELINE } from './scenario';
import { startSimulator, type Simulator } from './server';
import { playTimeline, validateTimeline, type TimelineStep } from './timeline';

const HOUR_MS = 3_600_000;

function loadTimeline(arg: string): TimelineStep[] {
  const steps: unknown = arg === 'demo' ? DEMO_TIMELINE : JSON.parse(fs.readFileSync(arg, 'utf8'));
  const errors = validateTimeline(steps);
  if (errors.length) throw new Error(`bad timeline ${arg}:\n  ${errors.join('\n  ')}`);
  return steps as TimelineStep[];
}

export async function runSimulator(argv: string[] = process.argv.slice(2)): Promise<Simulator> {
  const { values } = parseArgs({
    args: argv,
    options: {
      dir: { type: 'string' },
      'time-scale': { type: 'string', default: '1' },
      port: { type: 'string', default: '0' },
      'hmac-secret': { type: 'string' },
      timeline: { type: 'string' },
    },
    strict: true,
  });
  if (!values.dir) throw new Error('--dir is required');
  const timeScale = Number(values['time-scale']);
  const port = Number(values.port);
  if (!(timeScale > 0)) throw new Error('--time-scale must be a positive number');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('--port must be a port number');
  const steps = values.timeline ? loadTimeline(values.timeline) : undefined;

  const sim = await startSimulator({
    dir: values.dir,
    timeScale,
    port,
    hmacSecret: values['hmac-secret'] ?? process.env.FEDERATION_HMAC_SECRET,
  });
  const player = steps ? playTimeline(sim, steps, HOUR_MS * timeScale) : undefined;
  const stop = () => {
    player?.stop();
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(JSON.stringify({ url: sim.url, port: sim.port, dir: sim.dir }) + '\n');
  return sim;
}

if (require.main === module) {
  runSimulator().catch((err: Error) => {
    process.stderr.write(`symphony-sim: ${err.message}\n`);
    process.exit(2);
  });
}
