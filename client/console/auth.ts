// Who may read the console and send answers through it: a bearer of the console token (an
// `Authorization: Bearer` header, or the HttpOnly cookie the login form sets), or, behind the user's
// own authenticating proxy (--trust-proxy), whoever the proxy names in its user header. Pure apart from
// the HMAC: the routes call these on every request.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOKEN_ENV = 'RELEASE_WATCH_CONSOLE_TOKEN';
export const COOKIE = 'rw_console';
/** The user header of --trust-proxy when it names none. */
export const DEFAULT_PROXY_HEADER = 'x-forwarded-user';
/** How long a login lasts. */
export const SESSION_SECONDS = 12 * 3600;
/** A token shorter than this is refused at start: it would be guessed. */
export const TOKEN_MIN = 16;

export interface AuthConfig {
  /** The console token; with it, a request carries it as a bearer token or a login cookie. */
  token?: string;
  /** Behind an authenticating proxy: the header (lower case) that names the user. */
  proxyHeader?: string;
}

export type Who = { ok: true; user: string; via: 'token' | 'cookie' | 'proxy' } | { ok: false; reason: string };

/** The cookie's value: derived from the token, so the token itself is never stored in the browser. */
export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('release-watch console session v1').digest('hex');
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** One cookie's value out of a Cookie header, or undefined. */
export function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** Whether a request may read the console, and as whom. */
export function authenticate(config: AuthConfig, headers: Record<string, string | string[] | undefined>): Who {
  if (config.proxyHeader) {
    const raw = headers[config.proxyHeader];
    const user = (Array.isArray(raw) ? raw[0] : raw)?.trim();
    if (user && /^[\x21-\x7e]{1,128}$/.test(user)) return { ok: true, user, via: 'proxy' };
    if (!config.token)
      return { ok: false, reason: `no ${config.proxyHeader} header: the console is served behind an authenticating proxy` };
  }
  const token = config.token;
  if (!token) return { ok: false, reason: 'the console has no token configured' };
  const auth = headers.authorization;
  const bearer = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth)?.[1] : undefined;
  if (bearer !== undefined) {
    return same(bearer, token)
      ? { ok: true, user: 'token', via: 'token' }
      : { ok: false, reason: 'the bearer token is not the console token' };
  }
  const cookie = cookieOf(typeof headers.cookie === 'string' ? headers.cookie : undefined, COOKIE);
  if (cookie !== undefined) {
    return same(cookie, sessionValue(token))
      ? { ok: true, user: 'token', via: 'cookie' }
      : { ok: false, reason: 'the login has expired or the console token changed: sign in again' };
  }
  return { ok: false, reason: 'sign in with the console token (the login form, or Authorization: Bearer)' };
}

/** Whether a login form's token is the console's. */
export function tokenMatches(config: AuthConfig, given: unknown): boolean {
  return typeof given === 'string' && !!config.token && same(given, config.token);
}

/** The Set-Cookie of a login (or, with no token, of a logout). */
export function sessionCookie(token: string | undefined, secure: boolean): string {
  const value = token ? sessionValue(token) : '';
  const age = token ? SESSION_SECONDS : 0;
  return `${COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${age}${secure ? '; Secure' : ''}`;
}

/**
 * A cross-site request with the login cookie must not act: an answer comes from the console's own page
 * (its Origin, when the browser sends one, is this server) as JSON, which a form on another site cannot send.
 */
export function crossSiteReason(headers: Record<string, string | string[] | undefined>): string | undefined {
  const type = String(headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
  if (type !== 'application/json') return 'send the answer as application/json';
  const origin = headers.origin;
  if (typeof origin === 'string' && origin !== 'null') {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return `Origin ${JSON.stringify(origin.slice(0, 100))} is not a URL`;
    }
    const forwarded = typeof headers['x-forwarded-host'] === 'string' ? headers['x-forwarded-host'] : undefined;
    if (host !== headers.host && host !== forwarded) return `a page on ${host} may not send answers to this console`;
  }
  return undefined;
}
