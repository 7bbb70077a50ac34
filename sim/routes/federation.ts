// POST /federation/ping: an HMAC-signed ping of a federation peer.

import type { Route } from '../context';
import { verify } from '../hmac';
import { json, jsonBody } from '../http';
import { peersView, statusView } from '../views';

export const federationRoutes: Route[] = [
  {
    method: 'POST',
    path: '/federation/ping',
    probe: true,
    handler: (ctx, req) => {
      const header = req.headers['x-signature-256'];
      if (!verify(ctx.hmacSecret, req.raw, header)) {
        const why = header === undefined ? 'signature missing' : 'signature mismatch';
        ctx.log.trigger('federation', { hmac: 'invalid', ok: false, message: `federation hmac error: ${why}` });
        return json(401, { ok: false, hmac: 'invalid' });
      }
      const { peer } = jsonBody(req);
      const name = typeof peer === 'string' ? peer.slice(0, 64) : '';
      const known = peersView(ctx.faults).find((p) => p.name === name);
      let refusal: [number, string] | undefined;
      if (!known) refusal = [404, 'unknown peer'];
      else if (!statusView(ctx.faults).federation.enabled) refusal = [503, 'federation disabled'];
      else if (!known.online) refusal = [504, 'peer offline'];
      if (refusal) {
        const [status, error] = refusal;
        ctx.log.trigger('federation', { peer: name, hmac: 'valid', ok: false, error });
        return json(status, { ok: false, peer: name, hmac: 'valid', error });
      }
      const latencyMs = Date.now() - req.startedAt;
      ctx.log.trigger('federation', { peer: name, hmac: 'valid', ok: true, latencyMs });
      return json(200, { ok: true, peer: name, hmac: 'valid', latencyMs });
    },
  },
];
