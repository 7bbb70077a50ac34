// The deploy webhook, as pure functions: signature verification and reading a deployment out of a
// request body. No server, no Temporal, no files: client/serve.ts does the I/O around these.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Release } from '../core/messages';
import { checkRelease, Refused } from './watches';

export const SIGNATURE_HEADER = 'x-hub-signature-256';
export const EVENT_HEADER = 'x-github-event';
export const DELIVERY_HEADER = 'x-github-delivery';

/** A plan is named by a file name in the plans folder (or its `name`): no path, no dots. */
export const PLAN_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
/** Who started a watch (recorded in its history): a login or a plain name. */
const WHO = /^[A-Za-z0-9][A-Za-z0-9@._-]{0,63}$/;

export type Headers = Record<string, string | string[] | undefined>;

/** `sha256=<hex>` of HMAC-SHA256 over the raw body: what a sender puts in X-Hub-Signature-256. */
export function sign(rawBody: Buffer | string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export type Verified = { ok: true } | { ok: false; reason: string };

/**
 * Checks `X-Hub-Signature-256: sha256=<hex>` against HMAC-SHA256 of the raw body (the GitHub
 * webhook convention), in constant time.
 */
export function verifySignature(rawBody: Buffer | string, header: string | string[] | undefined, secret: string): Verified {
  if (!secret) return { ok: false, reason: 'no webhook secret is configured' };
  if (header === undefined || header === '') return { ok: false, reason: 'missing X-Hub-Signature-256 header' };
  if (Array.isArray(header)) return { ok: false, reason: 'more than one X-Hub-Signature-256 header' };
  const m = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
  if (!m) return { ok: false, reason: 'X-Hub-Signature-256 must be "sha256=" followed by 64 hex digits' };
  const given = Buffer.from(m[1], 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature does not match the body' };
  return { ok: true };
}

/** A deploy that should be watched: release fields already checked with checkRelease. */
export interface Deployment {
  service: string;
  release: string;
  commit?: string;
  deployedAt: string;
  plan: string;
  startedBy: string;
  /** Where it came from: the generic body, or a GitHub deployment_status event. */
  source: 'webhook' | 'github';
}

/** Which watched service (and plan) a GitHub deployment environment stands for. */
export interface EnvironmentMapping {
  service: string;
  plan?: string;
}

export interface ParseOptions {
  /** GitHub deployment environment → service (and plan), e.g. production → symphony:symphony-orchestra. */
  environments?: Record<string, EnvironmentMapping>;
  /** Plan used when a GitHub deployment names none (payload.plan) and its environment maps to none. */
  defaultPlan?: string;
}

export type Parsed =
  /** Start (or find) the watch of this deployment. */
  | { kind: 'start'; deployment: Deployment }
  /** A valid event that starts nothing (202): a deployment that did not succeed, a ping, another event. */
  | { kind: 'ignore'; reason: string }
  /** Malformed: 400 with the reason. */
  | { kind: 'invalid'; reason: string };

const GENERIC_FIELDS = new Set(['service', 'release', 'commit', 'plan', 'deployedAt', 'by']);

/**
 * Reads a deployment out of a parsed JSON body. Without an X-GitHub-Event header the body is the
 * generic form `{ service, release, commit?, plan, deployedAt?, by? }`; with `deployment_status` it
 * is GitHub's event. Every value from outside is checked (checkRelease, plan name) before it is returned.
 */
export function parseDeployment(body: unknown, headers: Headers, options: ParseOptions = {}): Parsed {
  const event = header(headers, EVENT_HEADER);
  if (event === undefined) return parseGeneric(body);
  if (event === 'deployment_status') return parseDeploymentStatus(body, options);
  if (event === 'ping') return { kind: 'ignore', reason: 'ping received; send deployment_status events to start watches' };
  return { kind: 'ignore', reason: `event "${event}" starts nothing (only deployment_status does)` };
}

function parseGeneric(body: unknown): Parsed {
  if (!isObject(body)) return invalid('body must be a JSON object { service, release, commit?, plan, deployedAt? }');
  const unknown = Object.keys(body).filter((k) => !GENERIC_FIELDS.has(k));
  if (unknown.length)
    return invalid(
      `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} (expected service, release, commit, plan, deployedAt, by)`,
    );
  for (const key of ['service', 'release', 'plan'] as const) {
    if (body[key] === undefined || body[key] === null || body[key] === '') return invalid(`missing "${key}"`);
  }
  for (const key of GENERIC_FIELDS) {
    if (body[key] !== undefined && typeof body[key] !== 'string') return invalid(`"${key}" must be a string`);
  }
  const by = body.by as string | undefined;
  if (by !== undefined && !WHO.test(by))
    return invalid(`"by" must be a plain name of letters, digits, @ . _ - (got ${JSON.stringify(by)})`);
  return finish(
    {
      service: body.service as string,
      version: body.release as string,
      commit: body.commit as string | undefined,
      deployedAt: body.deployedAt as string | undefined,
    },
    body.plan as string,
    by ? `webhook:${by}` : 'webhook',
    'webhook',
  );
}

function parseDeploymentStatus(body: unknown, options: ParseOptions): Parsed {
  if (!isObject(body)) return invalid('deployment_status event: body must be a JSON object');
  const status = body.deployment_status;
  const deployment = body.deployment;
  if (!isObject(status) || typeof status.state !== 'string') return invalid('deployment_status event: missing deployment_status.state');
  if (!isObject(deployment)) return invalid('deployment_status event: missing deployment');
  if (status.state !== 'success') return { kind: 'ignore', reason: `deployment state is "${status.state}"; only "success" starts a watch` };

  const sha = deployment.sha;
  if (typeof sha !== 'string' || sha === '') return invalid('deployment_status event: missing deployment.sha');
  const environment =
    typeof deployment.environment === 'string'
      ? deployment.environment
      : typeof status.environment === 'string'
        ? status.environment
        : undefined;
  const payload = readPayload(deployment.payload);
  if (typeof payload === 'string') return invalid(`deployment_status event: ${payload}`);

  const mapped = environment !== undefined ? ownEntry(options.environments, environment) : undefined;
  const service = mapped?.service ?? stringField(payload, 'service') ?? environment;
  if (service === undefined)
    return invalid('deployment_status event: no service (set deployment.payload.service, or map the deployment environment to a service)');
  const plan = stringField(payload, 'plan') ?? mapped?.plan ?? options.defaultPlan;
  if (plan === undefined)
    return invalid(
      `deployment_status event: no plan for service "${service}" (set deployment.payload.plan, map the environment to service:plan, or start the server with a default plan)`,
    );

  const release = stringField(payload, 'release') ?? releaseOfRef(deployment.ref) ?? sha;
  const login =
    isObject(body.sender) && typeof body.sender.login === 'string' && WHO.test(body.sender.login) ? body.sender.login : undefined;
  const deployedAt =
    typeof status.created_at === 'string'
      ? status.created_at
      : typeof deployment.created_at === 'string'
        ? deployment.created_at
        : undefined;
  return finish({ service, version: release, commit: sha.toLowerCase(), deployedAt }, plan, login ? `github:${login}` : 'github', 'github');
}

/**
 * The release a deployment's ref names: a tag (`v1.0`, `refs/tags/v1.0`, `2024.11.3`), or nothing.
 * A branch (`main`) is not a release: every deploy of it would map to the same watch, so the SHA is used.
 */
export function releaseOfRef(ref: unknown): string | undefined {
  if (typeof ref !== 'string') return undefined;
  const name = ref.replace(/^refs\/tags\//, '');
  return /^v?\d[A-Za-z0-9._-]*$/.test(name) ? name : undefined;
}

/** GitHub keeps the payload given at deployment creation: an object, or a JSON string of one. */
function readPayload(payload: unknown): Record<string, unknown> | string {
  if (payload === undefined || payload === null || payload === '') return {};
  if (typeof payload === 'string') {
    try {
      const parsed = JSON.parse(payload);
      return isObject(parsed) ? parsed : 'deployment.payload must be a JSON object';
    } catch {
      return 'deployment.payload is a string that is not JSON';
    }
  }
  return isObject(payload) ? payload : 'deployment.payload must be a JSON object';
}

function stringField(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function finish(release: Partial<Release>, plan: string, startedBy: string, source: Deployment['source']): Parsed {
  if (!PLAN_NAME.test(plan)) return invalid(`plan must be a plan name such as symphony-orchestra (got ${JSON.stringify(plan)})`);
  let checked: Release;
  try {
    checked = checkRelease(release);
  } catch (err) {
    if (err instanceof Refused) return invalid(err.message);
    throw err;
  }
  return {
    kind: 'start',
    deployment: {
      service: checked.service,
      release: checked.version,
      commit: checked.commit,
      deployedAt: checked.deployedAt,
      plan,
      startedBy,
      source,
    },
  };
}

function invalid(reason: string): Parsed {
  return { kind: 'invalid', reason };
}

/** A header's single value, case-insensitively; the first of repeated ones. */
export function header(headers: Headers, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === lower) return Array.isArray(v) ? v[0] : v;
  }
  return undefined;
}

/** Reads `env=service[:plan]` (the --github-env option). */
export function parseEnvironmentMapping(spec: string): [string, EnvironmentMapping] {
  const m = /^([^=\s]+)=([a-z0-9][a-z0-9-]{0,62})(?::([A-Za-z0-9][A-Za-z0-9_-]{0,63}))?$/.exec(spec);
  if (!m) throw new Refused(`--github-env must be environment=service or environment=service:plan (got ${JSON.stringify(spec)})`);
  return [m[1], m[3] ? { service: m[2], plan: m[3] } : { service: m[2] }];
}

function ownEntry<T>(map: Record<string, T> | undefined, key: string): T | undefined {
  return map && Object.prototype.hasOwnProperty.call(map, key) ? map[key] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
