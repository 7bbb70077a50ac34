// The console's routes, as a fastify plugin of `release-watch serve`:
//   GET  /login, POST /login, POST /logout         the token login (an HttpOnly cookie)
//   GET  /assets/console.js|css                    the page's script and style (no secrets)
//   GET  /, /watches/:id                           the board and a watch (one page; web/app.ts draws it)
//   GET  /watches/:id/report[.md|.json]            the report with charts, rendered from the last status
//   GET  /api/me, /api/watches, /api/watches/:id   the same as JSON
//   GET  /api/events, /api/watches/:id/events      live updates (Server-Sent Events)
//   POST /api/watches/:id/{decide,ack,resolve,emergency,approve}   an answer, through the CLI's helpers
import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Client } from '@temporalio/client';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderHtml } from '../../report/html';
import { buildReport, renderReportJson, renderReportMarkdown } from '../../report/report';
import type { Plan } from '../../plan/schema';
import { Refused } from '../watches';
import { ANSWER_KINDS, ANSWER_MAX_BYTES, AnswerKind, AnswerTimeout, checkAnswer, consoleRefusal, sendAnswer } from './answers';
import { consoleAssets, loginPage, shell } from './assets';
import { authenticate, crossSiteReason, sessionCookie, tokenMatches, type AuthConfig } from './auth';
import { Readers, type WatchView } from './reader';
import { temporalSource, type Filter, type WatchSource } from './source';

export interface ConsoleOptions {
  client: Client;
  auth: AuthConfig;
  /** The watch's page in the Temporal Web UI. */
  link: (id: string) => string;
  /** A plan by name, for a watch whose own start input cannot be read. */
  planByName?: (name: string) => Plan | undefined;
  /** Injected to count what the console asks of Temporal (bench/console.ts); default: the client's. */
  source?: WatchSource;
  /** How often a followed watch is described (default 1 s), and a board listed (default 3 s). */
  watchEveryMs?: number;
  boardEveryMs?: number;
  /** Live streams at once, over all browsers (default 1000). */
  maxStreams?: number;
  log?: (entry: Record<string, unknown>) => void;
}

/** A watch ID in a URL: printable, no spaces, bounded. */
const WATCH_ID = /^[\x21-\x7e]{1,256}$/;
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

class ConsoleError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function consoleRoutes(app: FastifyInstance, o: ConsoleOptions): Promise<void> {
  const source = o.source ?? temporalSource(o.client);
  const readers = new Readers({ source, link: o.link, planByName: o.planByName, boardEveryMs: o.boardEveryMs ?? 3000 });
  const watchEvery = o.watchEveryMs ?? 1000;
  const streams = new Set<ServerResponse>();
  const log = o.log ?? (() => undefined);
  const assets = await consoleAssets();

  app.addHook('preClose', async () => {
    for (const s of streams) s.end();
    streams.clear();
    readers.close();
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('Referrer-Policy', 'no-referrer');
    if (!reply.hasHeader('Cache-Control')) reply.header('Cache-Control', 'no-store');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const who = (request as { who?: string }).who;
    log({
      method: request.method,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime),
      ...(who ? { user: who } : {}),
    });
  });
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );
  app.setErrorHandler((err: FastifyError, _request, reply) => {
    const [status, message] =
      err instanceof ConsoleError
        ? [err.status, err.message]
        : err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? [413, `the answer is larger than ${ANSWER_MAX_BYTES} bytes`]
          : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? [415, 'send the answer as application/json']
            : err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
              ? [400, 'the answer is empty: send a JSON object']
              : err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.name === 'SyntaxError'
                ? [400, `the answer is not JSON: ${err.message}`]
                : [err.statusCode && err.statusCode >= 400 ? err.statusCode : 500, err.message];
    void reply.code(status).type('application/json; charset=utf-8').send({ error: message });
  });

  // ---- signing in ---------------------------------------------------------------------------

  const safeNext = (next: unknown) => (typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]{0,500}$/.test(next) ? next : '/');
  const secure = (request: FastifyRequest) => request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';

  app.get('/login', async (request, reply) => {
    const next = safeNext((request.query as Record<string, unknown>).next);
    return reply.type('text/html; charset=utf-8').header('Content-Security-Policy', CSP).send(loginPage(next));
  });
  app.post('/login', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    if (!o.auth.token) throw new ConsoleError(404, 'this console signs in through its proxy, not with a token');
    if (!tokenMatches(o.auth, body.token)) {
      log({ method: 'POST', path: '/login', status: 401, reason: 'wrong console token' });
      const json = request.headers['content-type']?.startsWith('application/json');
      if (json) return reply.code(401).send({ error: 'that is not the console token' });
      return reply
        .code(401)
        .type('text/html; charset=utf-8')
        .header('Content-Security-Policy', CSP)
        .send(loginPage(next, 'That is not the console token.'));
    }
    return reply
      .code(303)
      .header('Set-Cookie', sessionCookie(o.auth.token, secure(request)))
      .header('Location', next)
      .send();
  });
  app.post('/logout', async (request, reply) =>
    reply
      .code(303)
      .header('Set-Cookie', sessionCookie(undefined, secure(request)))
      .header('Location', '/login')
      .send(),
  );
  app.get('/assets/console.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('Cache-Control', 'no-cache').send(assets.js),
  );
  app.get('/assets/console.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('Cache-Control', 'no-cache').send(assets.css),
  );

  // ---- everything else needs a signed-in viewer ----------------------------------------------

  const signedIn = async (request: FastifyRequest, reply: FastifyReply) => {
    const who = authenticate(o.auth, request.headers as IncomingHttpHeaders);
    if (who.ok) {
      (request as { who?: string }).who = who.user;
      return;
    }
    if (request.url.startsWith('/api/')) return reply.code(401).send({ error: who.reason });
    if (o.auth.proxyHeader && !o.auth.token) return reply.code(401).type('text/plain; charset=utf-8').send(who.reason);
    return reply
      .code(303)
      .header('Location', `/login?next=${encodeURIComponent(request.url)}`)
      .send();
  };

  const watchId = (request: FastifyRequest) => {
    const id = (request.params as { id: string }).id;
    if (!WATCH_ID.test(id)) throw new ConsoleError(400, `a watch ID is printable text without spaces, at most 256 characters`);
    return id;
  };
  const filterOf = (request: FastifyRequest): Filter => {
    const q = request.query as Record<string, unknown>;
    const f: Filter = {};
    for (const key of ['service', 'release', 'phase'] as const) {
      const v = q[key];
      if (v === undefined || v === '') continue;
      if (typeof v !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(v))
        throw new ConsoleError(
          400,
          `filter ${key} may hold only letters, digits, dot, dash and underscore (got ${JSON.stringify(String(v).slice(0, 64))})`,
        );
      f[key] = v;
    }
    return f;
  };
  const viewOf = async (id: string): Promise<WatchView> => {
    const view = await readers.get(id).current(watchEvery);
    if (view.error && !view.execution) throw new ConsoleError(/^no watch /.test(view.error) ? 404 : 503, view.error);
    return view;
  };
  const page = (reply: FastifyReply, title: string) =>
    reply.type('text/html; charset=utf-8').header('Content-Security-Policy', CSP).send(shell(title));

  app.get('/', { onRequest: signedIn }, async (_request, reply) => page(reply, 'Watches: release-watch'));
  app.get('/watches/:id', { onRequest: signedIn }, async (request, reply) => page(reply, `${watchId(request)}: release-watch`));

  app.get('/watches/:id/report', { onRequest: signedIn }, async (request, reply) => {
    const s = await statusFor(watchId(request));
    return reply
      .type('text/html; charset=utf-8')
      .header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
      .send(renderHtml(s, { kind: 'on-demand', hour: s.hour }));
  });
  app.get('/watches/:id/report.md', { onRequest: signedIn }, async (request, reply) => {
    const s = await statusFor(watchId(request));
    return reply.type('text/markdown; charset=utf-8').send(renderReportMarkdown(buildReport(s, { kind: 'on-demand', hour: s.hour })));
  });
  app.get('/watches/:id/report.json', { onRequest: signedIn }, async (request, reply) => {
    const s = await statusFor(watchId(request));
    return reply.type('application/json; charset=utf-8').send(renderReportJson(buildReport(s, { kind: 'on-demand', hour: s.hour }), s));
  });
  async function statusFor(id: string) {
    const view = await viewOf(id);
    if (!view.status) throw new ConsoleError(503, view.stale ?? 'no status has been read for this watch yet');
    return view.status;
  }

  app.get('/api/me', { onRequest: signedIn }, async (request) => ({
    user: (request as { who?: string }).who,
    proxy: !!o.auth.proxyHeader,
  }));
  app.get('/api/watches', { onRequest: signedIn }, async (request) => readers.board(filterOf(request)).list());
  app.get('/api/watches/:id', { onRequest: signedIn }, async (request) => viewOf(watchId(request)));

  const stream = (request: FastifyRequest, reply: FastifyReply, follow: (send: (v: unknown) => void) => () => void) => {
    if (streams.size >= (o.maxStreams ?? 1000)) throw new ConsoleError(503, 'too many live views open on this console; try again later');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Content-Type-Options': 'nosniff',
    });
    res.write('retry: 3000\n\n');
    streams.add(res);
    const stop = follow((v) => res.write(`event: view\ndata: ${JSON.stringify(v)}\n\n`));
    // A comment now and then keeps proxies from closing a quiet stream.
    const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
    request.raw.once('close', () => {
      stop();
      clearInterval(ping);
      streams.delete(res);
    });
  };
  app.get('/api/watches/:id/events', { onRequest: signedIn }, async (request, reply) => {
    const reader = readers.get(watchId(request));
    stream(request, reply, (send) => reader.subscribe(send, watchEvery));
  });
  app.get('/api/events', { onRequest: signedIn }, async (request, reply) => {
    const board = readers.board(filterOf(request));
    stream(request, reply, (send) => board.subscribe(send));
  });

  // ---- answers ---------------------------------------------------------------------------------

  app.post('/api/watches/:id/:kind', { onRequest: signedIn, bodyLimit: ANSWER_MAX_BYTES }, async (request, reply) => {
    const id = watchId(request);
    const kind = (request.params as { kind: string }).kind as AnswerKind;
    if (!ANSWER_KINDS.includes(kind))
      throw new ConsoleError(404, `no answer "${String(kind).slice(0, 40)}" (answers: ${ANSWER_KINDS.join(', ')})`);
    const cross = crossSiteReason(request.headers as IncomingHttpHeaders);
    if (cross) throw new ConsoleError(cross.startsWith('send') ? 415 : 403, cross);
    const checked = checkAnswer(kind, request.body);
    if (!checked.ok) throw new ConsoleError(400, checked.reason);
    const reader = readers.get(id);
    // The plan the console checks an answer against, read once; an answer does not wait for a status read.
    if (!reader.planned) await viewOf(id);
    const refused = consoleRefusal(reader.planned, checked.request);
    if (refused) {
      log({ method: 'POST', path: request.url, status: 409, reason: refused, watch: id });
      return reply.code(409).send({ error: refused, refusedBy: 'console' });
    }
    try {
      const result = await sendAnswer(o.client, id, kind, checked.request);
      reader.poke();
      return { ok: true, result };
    } catch (err) {
      if (err instanceof Refused) return reply.code(409).send({ error: err.message, refusedBy: 'watch' });
      if (err instanceof AnswerTimeout) return reply.code(504).send({ error: err.message });
      throw err;
    }
  });
}
