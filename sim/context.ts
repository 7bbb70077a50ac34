// Everything a route handler may touch.

import type { EventEmitter } from 'node:events';
import type { FaultSet } from './faults';
import type { HangGate } from './hang';
import type { Reply, Req } from './http';
import type { LogWriter } from './logs';
import type { SimState } from './state';
import type { SimMetrics } from './telemetry';

export interface SimContext {
  readonly dir: string;
  readonly timeScale: number;
  readonly hmacSecret: string;
  readonly state: SimState;
  readonly faults: FaultSet;
  readonly log: LogWriter;
  readonly gate: HangGate;
  /** What /metrics exports. */
  readonly metrics: SimMetrics;
  /** Emits 'hanging' (count) when a request starts to hang, 'fault' (change, fault) on changes. */
  readonly events: EventEmitter;
}

export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  /** An exact path, or a pattern whose named groups become req.params. */
  path: string | RegExp;
  /** Name used in the request counts; defaults to the path. */
  name?: string;
  /** A probe endpoint: subject to the `hang` and `garbage` faults. */
  probe?: boolean;
  /** Delayed by the `slow` fault. */
  slow?: boolean;
  /** Counts as service traffic: active log faults write their lines. */
  traffic?: boolean;
  handler: (ctx: SimContext, req: Req) => Reply | Promise<Reply>;
}
