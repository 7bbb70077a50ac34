// The trigger endpoint: `release-watch serve`. A signed deploy webhook starts (or finds) the watch of a release.
//   POST /deployments  signed with X-Hub-Signature-256 (HMAC-SHA256 of the raw body), generic JSON or a GitHub deployment_status event
//   GET  /healthz      whether the endpoint is up and Temporal reachable
// The Temporal side is injected (Backend), so tests run the real server against a real client.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Client, Connection, isGrpcDeadlineError, isGrpcServiceError } from '@temporalio/client';
import type { Release } from '../core/messages';
import type { Plan } from '../plan/schema';
import { formatPlanError, loadPlan, PlanInvalid } from '../plan/validate';
import { TemporalTarget, temporalTarget, webUiLink } from '../config/connection';
import {
  DELIVERY_HEADER,
  EnvironmentMapping,
  EVENT_HEADER,
  header,
  parseDeployment,
  parseEnvironmentMapping,
  PLAN_NAME,
  SIGNATURE_HEADER,
  verifySignature,
} from './webhook';
import { Refused, Started, startWatch } from './watches';

export const SECRET_ENV = 'RELEASE_WATCH_WEBHOOK_SECRET';
export const DEFAULT_MAX_BODY = 1024 * 1024;

export interface StartRequest {
  plan: Plan;
  release: Release;
  startedBy: string;
}

export interface Health {
  reachable: boolean;
  address?: string;
  namespace?: string;
  error?: string;
}

/** What the endpoint needs of Temporal. */
export interface Backend {
  /** Starts the watch, or returns the existing one (startWatch semantics). */
  start(req: StartRequest): Promise<Started>;
  health(): Promise<Health>;
  /** The Web UI link of a watch. */
  link(workflowId: string): string;
}

export interface ServeOptions {
  secret: string;
  backend: Backend;
  /** Folder of plan files; a plan is named by its file name (without .yaml) or its `name`. */
  plansDir: string;
  environments?: Record<string, EnvironmentMapping>;
  defaultPlan?: string;
  maxBodyBytes?: number;
  /** One structured line per request (never the body or a secret). */
  log?: (entry: Record<string, unknown>) => void;
}

/** The plan named `name` in `dir`: `<dir>/<name>.yaml` (or .yml), else the plan file whose `name` it is. */
export function findPlan(
  dir: string,
  name: string,
): { ok: true; plan: Plan; file: string } | { ok: false; status: number; reason: string } {
  if (!PLAN_NAME.test(name))
    return { ok: false, status: 400, reason: `plan must be a plan name such as symphony-orchestra (got ${JSON.stringify(name)})` };
  const load = (file: string) => {
    try {
      return { ok: true as const, plan: loadPlan(file), file };
    } catch (err) {
      if (!(err instanceof PlanInvalid)) throw err;
      return {
        ok: false as const,
        status: 500,
        reason: `plan "${name}" (${file}) is invalid: ${err.errors.map(formatPlanError).join('; ')}`,
      };
    }
  };
  for (const ext of ['.yaml', '.yml']) {
    const file = join(dir, name + ext);
    if (existsSync(file)) return load(file);
  }
  for (const entry of safeReaddir(dir)) {
    if (!/\.ya?ml$/.test(entry)) continue;
    try {
      const plan = loadPlan(join(dir, entry));
      if (plan.name === name) return { ok: true, plan, file: join(dir, entry) };
    } catch {
      // An invalid plan is reported when it is asked for by its file name; it cannot be found by a name it fails to declare.
    }
  }
  return { ok: false, status: 400, reason: `unknown plan "${name}" (no ${name}.yaml and no plan named so in ${dir})` };
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function createServeServer(o: ServeOptions): Server {
  if (!o.secret) throw new Refused(`no webhook secret: set ${SECRET_ENV}`);
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const log = o.log ?? (() => undefined);

  const server = createServer((req, res) => {
    const started = Date.now();
    const entry: Record<string, unknown> = { method: req.method, path: req.url };
    const delivery = header(req.headers, DELIVERY_HEADER);
    if (delivery) entry.delivery = delivery.slice(0, 100);
    const reply = (status: number, body: Record<string, unknown>, headers: Record<string, string> = {}) => {
      if (res.headersSent) return;
      entry.status = status;
      entry.ms = Date.now() - started;
      if (typeof body.error === 'string') entry.reason = body.error;
      if (typeof body.workflowId === 'string') entry.watch = body.workflowId;
      log(entry);
      const text = JSON.stringify(body) + '\n';
      res.writeHead(status, {
        'Content-Type': 'application/json; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
        'Cache-Control': 'no-store',
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    handle(req, res, reply, entry).catch((err: unknown) => {
      if (err instanceof HttpError) reply(err.status, { error: err.message }, err.headers);
      else reply(500, { error: `internal error: ${(err as Error)?.message ?? String(err)}` });
    });
  });
  // A slow or stalled sender does not hold a connection for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  return server;

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    reply: (status: number, body: Record<string, unknown>, headers?: Record<string, string>) => void,
    entry: Record<string, unknown>,
  ): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new HttpError(405, `${req.method} is not allowed on /healthz (use GET)`, { Allow: 'GET, HEAD' });
      const temporal = await o.backend.health().catch((err: unknown) => ({ reachable: false, error: (err as Error).message }) as Health);
      reply(200, { ok: true, temporal });
      return;
    }
    if (path !== '/deployments') throw new HttpError(404, `no such endpoint ${path} (POST /deployments, GET /healthz)`);
    if (req.method !== 'POST') throw new HttpError(405, `${req.method} is not allowed on /deployments (use POST)`, { Allow: 'POST' });

    const raw = await readBody(req, res, maxBody);
    const verified = verifySignature(raw, req.headers[SIGNATURE_HEADER], o.secret);
    if (!verified.ok) throw new HttpError(401, verified.reason);

    const event = header(req.headers, EVENT_HEADER);
    if (event) entry.event = event;
    const type = (header(req.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded')
      throw new HttpError(415, 'send the body as application/json (for a GitHub webhook: Content type "application/json")');
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `body is not JSON: ${(err as Error).message}`);
    }

    const parsed = parseDeployment(body, req.headers, { environments: o.environments, defaultPlan: o.defaultPlan });
    if (parsed.kind === 'invalid') throw new HttpError(400, parsed.reason);
    if (parsed.kind === 'ignore') {
      reply(202, { started: false, ignored: parsed.reason });
      return;
    }
    const d = parsed.deployment;
    const found = findPlan(o.plansDir, d.plan);
    if (!found.ok) throw new HttpError(found.status, found.reason);
    if (found.plan.service !== d.service)
      throw new HttpError(400, `plan "${d.plan}" watches service "${found.plan.service}", not "${d.service}"`);

    let result: Started;
    try {
      result = await o.backend.start({
        plan: found.plan,
        release: { service: d.service, version: d.release, commit: d.commit, deployedAt: d.deployedAt },
        startedBy: d.startedBy,
      });
    } catch (err) {
      if (err instanceof Refused) throw new HttpError(400, err.message);
      if (unreachable(err))
        throw new HttpError(503, `Temporal is not reachable, nothing started; retry later: ${(err as Error).message}`, {
          'Retry-After': '30',
        });
      throw new HttpError(500, `could not start the watch: ${(err as Error).message}`);
    }
    const webUi = o.backend.link(result.workflowId);
    reply(
      result.started ? 201 : 200,
      {
        workflowId: result.workflowId,
        runId: result.runId,
        started: result.started,
        webUi,
        service: d.service,
        release: d.release,
        commit: d.commit ?? null,
        plan: found.plan.name,
        deployedAt: d.deployedAt,
      },
      { Location: webUi },
    );
  }
}

/** The raw body, at most `max` bytes (413 beyond, before reading it when Content-Length says so). */
function readBody(req: IncomingMessage, res: ServerResponse, max: number): Promise<Buffer> {
  const tooLarge = () => {
    // The rest of the body is not read: the connection closes after the answer.
    res.setHeader('Connection', 'close');
    return new HttpError(413, `body is larger than ${max} bytes`);
  };
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (chunk: Buffer) => {
      if (done) return;
      size += chunk.length;
      if (size > max) {
        done = true;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (done) return;
      done = true;
      resolveBody(Buffer.concat(chunks));
    });
    req.on('error', (err) => {
      if (done) return;
      done = true;
      reject(new HttpError(400, `could not read the body: ${err.message}`));
    });
  });
}

/** Temporal down or too slow: worth a retry by the sender (503), not a bad request. */
function unreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isGrpcDeadlineError(e)) return true;
    if (isGrpcServiceError(e) && (e.code === 14 /* UNAVAILABLE */ || e.code === 4) /* DEADLINE_EXCEEDED */) return true;
  }
  return false;
}

/** The Backend of a Temporal client: startWatch with a deadline, a health probe, Web UI links. */
export function temporalBackend(
  client: Client,
  target: TemporalTarget,
  options: { taskQueue?: string; startTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Backend {
  return {
    start: (req) =>
      client.withDeadline(Date.now() + (options.startTimeoutMs ?? 15_000), () =>
        startWatch(client, { ...req, taskQueue: options.taskQueue }),
      ),
    health: async () => {
      try {
        await client.withDeadline(Date.now() + 3000, () => client.workflowService.getSystemInfo({}));
        return { reachable: true, address: target.address, namespace: target.namespace };
      } catch (err) {
        return { reachable: false, address: target.address, namespace: target.namespace, error: (err as Error).message };
      }
    },
    link: (id) => webUiLink(target, id, options.env),
  };
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting, ends idle keep-alive connections, and resolves when all are closed. */
export function stop(server: Server): Promise<void> {
  return new Promise((resolveStop) => {
    server.close(() => resolveStop());
    server.closeIdleConnections();
  });
}

export interface ServeCliOptions {
  port: string;
  host: string;
  plans: string;
  defaultPlan?: string;
  githubEnv?: string[];
  quiet?: boolean;
}

/** `release-watch serve`: checks its configuration, serves until SIGINT/SIGTERM. */
export async function runServe(o: ServeCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const secret = env[SECRET_ENV];
  if (!secret || !secret.trim())
    throw new Refused(
      `${SECRET_ENV} is not set: every request must be signed with it (X-Hub-Signature-256), and the endpoint does not run unsigned. Set it to the secret shared with the sender, e.g. \`export ${SECRET_ENV}=$(openssl rand -hex 32)\``,
    );
  const port = Number(o.port);
  if (!/^\d+$/.test(o.port) || port > 65535) throw new Refused(`--port must be a port number 0-65535 (got "${o.port}")`);
  const plansDir = resolve(o.plans);
  if (!existsSync(plansDir) || !statSync(plansDir).isDirectory()) throw new Refused(`--plans: no plans folder at ${plansDir}`);
  const environments: Record<string, EnvironmentMapping> = Object.create(null);
  for (const spec of o.githubEnv ?? []) {
    const [name, mapping] = parseEnvironmentMapping(spec);
    environments[name] = mapping;
  }
  // Plans named in the configuration must exist and be valid now, not at the first deploy.
  const named = [o.defaultPlan, ...Object.values(environments).map((m) => m.plan)].filter((p): p is string => !!p);
  for (const name of named) {
    const found = findPlan(plansDir, name);
    if (!found.ok) throw new Refused(found.reason);
  }

  const target = temporalTarget(env);
  // Lazy: the endpoint comes up (and /healthz says so) even while Temporal is down.
  const connection = Connection.lazy({ address: target.address, tls: target.tls, apiKey: target.apiKey });
  const client = new Client({ connection, namespace: target.namespace });
  const server = createServeServer({
    secret,
    backend: temporalBackend(client, target, { env }),
    plansDir,
    environments,
    defaultPlan: o.defaultPlan,
    log: o.quiet ? undefined : (entry) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n'),
  });
  const address = await listen(server, port, o.host);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(
    `release-watch serve: listening on http://${host}:${address.port} (POST /deployments, GET /healthz); plans from ${plansDir}; Temporal at ${target.address}, namespace ${target.namespace}\n`,
  );
  await new Promise<void>((resolveRun) => {
    const shutdown = () => {
      process.off('SIGINT', shutdown);
      process.off('SIGTERM', shutdown);
      void stop(server).then(resolveRun);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  });
  await connection.close();
}
