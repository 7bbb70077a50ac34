#!/usr/bin/env node
// Stand-in for `python3 tools/federation.py ping --peer NAME`: the body is signed with
// $FEDERATION_HMAC_SECRET (header X-Signature-256: sha256=<hex>); a refused ping exits 1.

import { createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';
import { call, fail, printRaw } from './_client.mjs';

const PROG = 'federation';
const USAGE = 'usage: federation ping --peer NAME';

async function ping(args) {
  let peer;
  try {
    peer = parseArgs({ args, options: { peer: { type: 'string' } }, strict: true }).values.peer;
  } catch (err) {
    return fail(PROG, 2, `${err.message}\n${USAGE}`);
  }
  if (!peer) return fail(PROG, 2, `--peer is required\n${USAGE}`);
  const body = JSON.stringify({ peer });
  const secret = process.env.FEDERATION_HMAC_SECRET;
  const headers = secret ? { 'x-signature-256': 'sha256=' + createHmac('sha256', secret).update(body).digest('hex') } : {};
  const res = await call(PROG, 'POST', '/federation/ping', body, headers);
  if (res) printRaw(res);
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'ping') await ping(rest);
else fail(PROG, 2, `unknown command: ${command ?? '(none)'}\n${USAGE}`);
