// The Symphony Orchestra simulator: an HTTP server on 127.0.0.1 with its state in memory.

import { EventEmitter } from 'node:events';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { SimContext } from './context';
import { FaultSet, type ActiveFault, type FaultParams } from './faults';
import { HangGate } from './hang';
import { onFaultSet } from './log-events';
import { LogWriter } from './logs';
import { lastReportNumber } from './report';
import { dispatch } from './router';
import { ROUTES } from './routes';
import { adminState } from './routes/admin';
import { createState } from './state';
import { createSimMetrics } from './telemetry';

export const DEFAULT_HMAC_SECRET = 'symphony-sim-secret';

export interface SimulatorOptions {
  /** Working folder: logs/ and reports/ are written under it. */
  dir: string;
  /** Real time per simulated time (0.0333: one simulated hour is two real minutes). Default 1. */
  timeScale?: number;
  hmacSecret?: string;
  /** Default 0: a free port. */
  port?: number;
}

export interface Simulator {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** 'hanging' (count of held requests) and 'fault' (change, fault). */
  readonly events: EventEmitter;
  setFault(name: string, params?: FaultParams): ActiveFault;
  clearFault(name: string): boolean;
  clearAll(): number;
  faults(): ActiveFault[];
  state(): ReturnType<typeof adminState>;
  close(): Promise<void>;
}

export async function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const dir = path.resolve(opts.dir);
  const timeScale = opts.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new Error(`timeScale must be a positive number`);
  fs.mkdirSync(dir, { recursive: true });

  const log = new LogWriter(dir);
  const state = createState(timeScale, Date.now(), lastReportNumber(dir));
  const events = new EventEmitter();
  const gate = new HangGate();
  const faults: FaultSet = new FaultSet((change, fault) => {
    if (change === 'set') onFaultSet(fault, log, state, faults);
    if (change === 'clear' && fault.name === 'hang') gate.release();
    events.emit('fault', change, fault);
  });
  const ctx: SimContext = {
    dir,
    timeScale,
    hmacSecret: opts.hmacSecret ?? DEFAULT_HMAC_SECRET,
    state,
    faults,
    log,
    gate,
    metrics: createSimMetrics(faults),
    events,
  };

  const closing = new AbortController();
  const server = http.createServer((req, res) => void dispatch(ctx, ROUTES, closing.signal, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    events,
    setFault: (name, params) => faults.set(name, params ?? {}),
    clearFault: (name) => faults.clear(name),
    clearAll: () => faults.clearAll(),
    faults: () => faults.list(),
    state: () => adminState(ctx),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing.abort(new Error('simulator closing'));
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
