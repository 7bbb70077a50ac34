#!/usr/bin/env node
// Stand-in for the seed's `just` recipes:
//   orchestra-fast | dash-refresh | report-budgets
//   --justfile Justfile.ai ai-up        (passes ORCHESTRA_KILL and ORCHESTRA_ENV from the environment)
//   --justfile Justfile.neo4j neo4j-down

import path from 'node:path';
import { call, fail, printRaw } from './_client.mjs';

const PROG = 'just';

const RECIPES = {
  Justfile: {
    'orchestra-fast': () => call(PROG, 'GET', '/health/fast'),
    'dash-refresh': () => call(PROG, 'POST', '/dash/refresh'),
    'report-budgets': () => call(PROG, 'GET', '/reports/budget'),
  },
  'Justfile.ai': {
    'ai-up': () => {
      const env = {};
      for (const key of ['ORCHESTRA_KILL', 'ORCHESTRA_ENV']) {
        if (process.env[key] !== undefined) env[key] = process.env[key];
      }
      return call(PROG, 'POST', '/services/up', JSON.stringify({ env }));
    },
  },
  'Justfile.neo4j': {
    'neo4j-down': () => call(PROG, 'POST', '/db/down'),
  },
};

const args = process.argv.slice(2);
let justfile = 'Justfile';
if (args[0] === '--justfile' || args[0] === '-f') {
  justfile = path.basename(args[1] ?? '');
  args.splice(0, 2);
}
const recipe = RECIPES[justfile]?.[args[0]];
if (!RECIPES[justfile]) fail(PROG, 2, `error: no justfile ${justfile}`);
else if (!recipe || args.length !== 1) fail(PROG, 2, `error: ${justfile} does not contain recipe \`${args.join(' ')}\``);
else {
  const res = await recipe();
  if (res) printRaw(res);
}
