// The trigger endpoint: `release-watch serve`. A signed deploy webhook starts (or finds) the watch of a release.
//   POST /deployments  signed with X-Hub-Signature-256 (HMAC-SHA256 of the raw body), generic JSON or a GitHub deployment_status event
//   GET  /healthz      whether the endpoint is up and Temporal reachable
// The Temporal side is injected (Backend), so tests run the real server against a real client.
import { existsSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { Client, Connection, isGrpcDeadlineError, isGrpcServiceError } from '@temporalio/client';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
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
import { consoleRoutes, type ConsoleOptions } from './console/routes';
import { DEFAULT_PROXY_HEADER, TOKEN_ENV, TOKEN_MIN, type AuthConfig } from './console/auth';
import { chatRoutes, type ChatOptions } from './chat/routes';
import { watchPlanReader } from './chat/plan-of';
import { SLACK_SIGNING_SECRET_ENV } from './chat/slack-verify';
import { relayKeyFromEnv } from './chat/relay';
import { clientTracing, flushTracing } from './commands/common';
import { SLACK_API_URL_ENV, SLACK_BOT_TOKEN_ENV } from './chat/slack-resolve-form';
import { PAGERDUTY_WEBHOOK_SECRET_ENV } from './chat/pagerduty-verify';

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
  /** The deploy webhook's shared secret; without it /deployments answers 503 (allowed only with a console). */
  secret?: string;
  backend: Backend;
  /** Folder of plan files; a plan is named by its file name (without .yaml) or its `name`. */
  plansDir: string;
  environments?: Record<string, EnvironmentMapping>;
  defaultPlan?: string;
  maxBodyBytes?: number;
  /** One structured line per request (never the body or a secret). */
  log?: (entry: Record<string, unknown>) => void;
  /** The on-call console (client/console/): pages, its API and live updates. */
  console?: ConsoleOptions;
  /** Answers from Slack buttons and PagerDuty webhooks (client/chat/). */
  chat?: ChatOptions;
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

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Reply = (status: number, body: Record<string, unknown>, headers?: Record<string, string>) => void;

// The fastify instance behind each server createServeServer returns: listen() waits for it to be ready,
// stop() closes it (its hooks end the console's live streams and readers).
const apps = new WeakMap<Server, FastifyInstance>();

/**
 * The endpoint on fastify: the deploy webhook (POST /deployments), GET /healthz, and, when `console` is
 * given, the on-call console (client/console/). Returns the HTTP server; listen() and stop() drive it.
 */
export function createServeServer(o: ServeOptions): Server {
  if (!o.secret && !o.console && !o.chat) throw new Refused(`no webhook secret: set ${SECRET_ENV}`);
  const maxBody = o.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const log = o.log ?? (() => undefined);
  // A slow or stalled sender does not hold a connection for long.
  const app = Fastify({ logger: false, requestTimeout: 30_000, bodyLimit: maxBody, return503OnClosing: false });
  app.server.headersTimeout = 10_000;
  apps.set(app.server, app);

  /** Answers one webhook request as JSON, and logs one line about it. */
  const replier = (request: FastifyRequest, reply: FastifyReply, entry: Record<string, unknown>, started: number): Reply => {
    return (status, body, headers = {}) => {
      if (reply.sent) return;
      entry.status = status;
      entry.ms = Date.now() - started;
      if (typeof body.error === 'string') entry.reason = body.error;
      if (typeof body.workflowId === 'string') entry.watch = body.workflowId;
      log(entry);
      const text = JSON.stringify(body) + '\n';
      void reply
        .code(status)
        .headers({ 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers })
        .send(request.method === 'HEAD' ? undefined : text);
    };
  };
  const entryOf = (request: FastifyRequest) => {
    const entry: Record<string, unknown> = { method: request.method, path: request.url };
    const delivery = header(request.headers, DELIVERY_HEADER);
    if (delivery) entry.delivery = delivery.slice(0, 100);
    return entry;
  };
  const endpoint =
    (handle: (request: FastifyRequest, reply: Reply, entry: Record<string, unknown>, raw: FastifyReply) => Promise<void>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      const entry = entryOf(request);
      const send = replier(request, reply, entry, Date.now());
      try {
        await handle(request, send, entry, reply);
      } catch (err) {
        if (err instanceof HttpError) send(err.status, { error: err.message }, err.headers);
        else send(500, { error: `internal error: ${(err as Error)?.message ?? String(err)}` });
      }
    };

  app.setNotFoundHandler(
    endpoint(async (request) => {
      const path = new URL(request.url, 'http://localhost').pathname;
      throw new HttpError(404, `no such endpoint ${path} (POST /deployments, GET /healthz${o.console ? ', the console at /' : ''})`);
    }),
  );
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // Errors fastify raises before a handler runs (a malformed Content-Type, a body it could not read).
    const status = err.statusCode && err.statusCode >= 400 ? err.statusCode : 500;
    replier(
      request,
      reply,
      entryOf(request),
      Date.now(),
    )(status, { error: status === 500 ? `internal error: ${err.message}` : err.message });
  });

  app.all(
    '/healthz',
    endpoint(async (request, reply) => {
      if (request.method !== 'GET' && request.method !== 'HEAD')
        throw new HttpError(405, `${request.method} is not allowed on /healthz (use GET)`, { Allow: 'GET, HEAD' });
      const temporal = await o.backend.health().catch((err: unknown) => ({ reachable: false, error: (err as Error).message }) as Health);
      reply(200, { ok: true, temporal });
    }),
  );

  // The webhook reads its body itself, raw (the signature is over the exact bytes), whatever its type.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    scope.all(
      '/deployments',
      endpoint(async (request, reply, entry, raw) => {
        if (request.method !== 'POST')
          throw new HttpError(405, `${request.method} is not allowed on /deployments (use POST)`, { Allow: 'POST' });
        if (!o.secret) throw new HttpError(503, `the deploy webhook is off: ${SECRET_ENV} is not set where \`release-watch serve\` runs`);
        await deployment(request, reply, entry, raw);
      }),
    );
  });

  if (o.console) void app.register(consoleRoutes, { ...o.console, log });
  if (o.chat) void app.register(chatRoutes, { ...o.chat, log });
  return app.server;

  async function deployment(request: FastifyRequest, reply: Reply, entry: Record<string, unknown>, raw: FastifyReply): Promise<void> {
    const body = await readBody(request.raw, maxBody, () => raw.header('Connection', 'close'));
    const verified = verifySignature(body, request.headers[SIGNATURE_HEADER], o.secret!);
    if (!verified.ok) throw new HttpError(401, verified.reason);

    const event = header(request.headers, EVENT_HEADER);
    if (event) entry.event = event;
    const type = (header(request.headers, 'content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded')
      throw new HttpError(415, 'send the body as application/json (for a GitHub webhook: Content type "application/json")');
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (err) {
      throw new HttpError(400, `body is not JSON: ${(err as Error).message}`);
    }

    const parsed = parseDeployment(json, request.headers, { environments: o.environments, defaultPlan: o.defaultPlan });
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
function readBody(req: IncomingMessage, max: number, closeAfter: () => void): Promise<Buffer> {
  const tooLarge = () => {
    // The rest of the body is not read: the connection closes after the answer.
    closeAfter();
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

/** A plan of the plans folder by its name, for a watch whose start input cannot be read. */
export function planIn(dir: string): (name: string) => Plan | undefined {
  return (name) => {
    const found = findPlan(dir, name);
    return found.ok ? found.plan : undefined;
  };
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

export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  // The console's assets are built when its routes load: the server takes requests once all are ready.
  await apps.get(server)?.ready();
  return new Promise((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen(server.address() as AddressInfo);
    });
  });
}

/** Stops accepting, ends live streams and idle keep-alive connections, and resolves when all are closed. */
export async function stop(server: Server): Promise<void> {
  const app = apps.get(server);
  const closed = new Promise<void>((resolveStop) => {
    if (!server.listening) return resolveStop();
    server.close(() => resolveStop());
    server.closeIdleConnections();
  });
  await app?.close();
  await closed;
}

export interface ServeCliOptions {
  port: string;
  host: string;
  plans: string;
  defaultPlan?: string;
  githubEnv?: string[];
  quiet?: boolean;
  /** The console token (else $RELEASE_WATCH_CONSOLE_TOKEN). */
  token?: string;
  /** Behind an authenticating proxy: true for X-Forwarded-User, or the header that names the user. */
  trustProxy?: boolean | string;
}

/** The console's sign-in from the command line and the environment, checked; undefined when the console is off. */
export function consoleAuth(
  o: Pick<ServeCliOptions, 'token' | 'trustProxy'>,
  env: NodeJS.ProcessEnv = process.env,
): AuthConfig | undefined {
  const token = o.token ?? env[TOKEN_ENV];
  if (token !== undefined && token.trim().length < TOKEN_MIN)
    throw new Refused(`the console token must be at least ${TOKEN_MIN} characters, e.g. \`export ${TOKEN_ENV}=$(openssl rand -hex 32)\``);
  let proxyHeader: string | undefined;
  if (o.trustProxy !== undefined && o.trustProxy !== false) {
    proxyHeader = o.trustProxy === true ? DEFAULT_PROXY_HEADER : o.trustProxy.toLowerCase();
    if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(proxyHeader))
      throw new Refused(`--trust-proxy takes a header name such as X-Forwarded-User (got ${JSON.stringify(o.trustProxy)})`);
  }
  if (!token && !proxyHeader) return undefined;
  return { ...(token ? { token: token.trim() } : {}), ...(proxyHeader ? { proxyHeader } : {}) };
}

/** `release-watch serve`: checks its configuration, serves until SIGINT/SIGTERM. */
export async function runServe(o: ServeCliOptions, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const secret = env[SECRET_ENV]?.trim() ? env[SECRET_ENV] : undefined;
  const auth = consoleAuth(o, env);
  if (!secret && !auth)
    throw new Refused(
      `${SECRET_ENV} is not set: every request must be signed with it (X-Hub-Signature-256), and the endpoint does not run unsigned. Set it to the secret shared with the sender, e.g. \`export ${SECRET_ENV}=$(openssl rand -hex 32)\` (or serve only the console: ${TOKEN_ENV}, or --trust-proxy)`,
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
  // A watch started by a deploy joins the deploy request's trace when tracing is on (worker/tracing.ts).
  const client = new Client({
    connection,
    namespace: target.namespace,
    interceptors: { workflow: await clientTracing('release-watch-serve') },
  });
  const backend = temporalBackend(client, target, { env });
  const slackSigningSecret = env[SLACK_SIGNING_SECRET_ENV]?.trim() || undefined;
  const pagerDutySecret = env[PAGERDUTY_WEBHOOK_SECRET_ENV]?.trim() || undefined;
  // Read now: a relay key file that is missing or malformed stops serve at start, not at the first click.
  const relayKey = relayKeyFromEnv(env);
  const server = createServeServer({
    secret,
    chat:
      slackSigningSecret || pagerDutySecret
        ? {
            client,
            planOf: watchPlanReader(client),
            slackSigningSecret,
            pagerDutySecret,
            relayKey,
            slackBotToken: env[SLACK_BOT_TOKEN_ENV]?.trim() || undefined,
            slackApiUrl: env[SLACK_API_URL_ENV]?.trim() || undefined,
          }
        : undefined,
    backend,
    plansDir,
    environments,
    defaultPlan: o.defaultPlan,
    log: o.quiet ? undefined : (entry) => process.stdout.write(JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n'),
    console: auth ? { client, auth, link: backend.link, planByName: planIn(plansDir) } : undefined,
  });
  const address = await listen(server, port, o.host);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  process.stdout.write(
    `release-watch serve: listening on http://${host}:${address.port} (${secret ? 'POST /deployments' : `the deploy webhook is off without ${SECRET_ENV}`}, GET /healthz); plans from ${plansDir}; Temporal at ${target.address}, namespace ${target.namespace}\n`,
  );
  if (auth)
    process.stdout.write(
      `release-watch console: http://${host}:${address.port}/ (${auth.proxyHeader ? `users named by the proxy's ${auth.proxyHeader} header` : ''}${auth.proxyHeader && auth.token ? ', or ' : ''}${auth.token ? `sign in with the token in ${o.token ? '--token' : TOKEN_ENV}` : ''})\n`,
    );
  else process.stdout.write(`release-watch console: off (set ${TOKEN_ENV}, or --trust-proxy behind an authenticating proxy)\n`);
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
  await flushTracing();
}
