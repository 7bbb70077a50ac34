// Request dispatch, with the faults that act on whole requests (hang, garbage, slow) applied
// before the handler runs.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { Route, SimContext } from './context';
import { garbage } from './garbage';
import { HttpError, json, readBody, type Reply, type Req } from './http';
import { onTraffic } from './log-events';
import { countRequest } from './state';
import { recordRequest, UNMATCHED } from './telemetry';

function match(route: Route, path: string): Record<string, string> | undefined {
  if (typeof route.path === 'string') return route.path === path ? {} : undefined;
  const m = route.path.exec(path);
  return m ? { ...(m.groups ?? {}) } : undefined;
}

function find(routes: Route[], method: string, path: string): { route: Route; params: Record<string, string> } | Reply {
  let pathKnown = false;
  for (const route of routes) {
    const params = match(route, path);
    if (!params) continue;
    pathKnown = true;
    if (route.method === method) return { route, params };
  }
  return pathKnown ? json(405, { error: `method ${method} not allowed on ${path}` }) : json(404, { error: 'not found' });
}

async function run(ctx: SimContext, route: Route, req: Req, signal: AbortSignal): Promise<Reply> {
  if (route.probe && ctx.faults.get('hang')) {
    const waiting = ctx.gate.wait(signal);
    ctx.events.emit('hanging', ctx.gate.count);
    await waiting;
  }
  if (route.probe) {
    const g = ctx.faults.get('garbage');
    if (g) return { status: 200, type: 'application/json', body: garbage(Number(g.size)) };
  }
  const slow = ctx.faults.get('slow');
  if (route.slow && slow) await delay(Number(slow.seconds) * 1000 * ctx.timeScale, undefined, { signal });
  if (route.traffic) onTraffic(ctx.faults.list(), ctx.log);
  return route.handler(ctx, req);
}

export async function dispatch(
  ctx: SimContext,
  routes: Route[],
  closing: AbortSignal,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const startedAt = Date.now();
  const gone = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) gone.abort(new Error('client gone'));
  });
  const signal = AbortSignal.any([closing, gone.signal]);
  let reply: Reply;
  let routeName = UNMATCHED;
  try {
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    const found = find(routes, method, url.pathname);
    if ('status' in found) {
      reply = found;
    } else {
      routeName = found.route.name ?? String(found.route.path);
      countRequest(ctx.state, `${method} ${routeName}`);
      const r: Req = { method, path: url.pathname, params: found.params, headers: req.headers, raw, startedAt };
      reply = await run(ctx, found.route, r, signal);
    }
  } catch (err) {
    if (signal.aborted) {
      res.destroy();
      return;
    }
    reply = err instanceof HttpError ? json(err.status, err.body) : json(500, { error: (err as Error).message });
  }
  if (res.destroyed) return;
  recordRequest(ctx.metrics, routeName, req.method ?? 'GET', reply.status, (Date.now() - startedAt) / 1000);
  res.writeHead(reply.status, { 'content-type': reply.type, 'cache-control': 'no-store' });
  res.end(reply.body);
}
