#!/usr/bin/env node
// Stand-in for `python3 tools/symphony.py`:
//   orchestrator status | policy show | route decide --task T --loa N [--json]

import { parseArgs } from 'node:util';
import { call, fail, isObject, parseJson, printLines, printRaw } from './_client.mjs';

const PROG = 'symphony';
const USAGE = 'usage: symphony orchestrator status | policy show | route decide --task T --loa N [--json]';

async function orchestratorStatus() {
  const res = await call(PROG, 'GET', '/orchestrator/status');
  if (res) printRaw(res);
}

async function policyShow() {
  const res = await call(PROG, 'GET', '/policy');
  if (!res) return;
  const p = parseJson(res.body);
  if (!isObject(p) || !('autonomy' in p)) return printRaw(res);
  printLines(res, [`Autonomy: ${p.autonomy}`, `Profile: ${p.profile}`, `Kill switch: ${p.killSwitch ? 'on' : 'off'}`]);
}

async function routeDecide(args) {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: { task: { type: 'string' }, loa: { type: 'string' }, json: { type: 'boolean', default: false } },
      strict: true,
    }));
  } catch (err) {
    return fail(PROG, 2, `${err.message}\n${USAGE}`);
  }
  if (!values.task || !/^\d+$/.test(values.loa ?? '')) return fail(PROG, 2, `--task and a numeric --loa are required\n${USAGE}`);
  const res = await call(PROG, 'POST', '/route/decide', JSON.stringify({ task: values.task, loa: Number(values.loa) }));
  if (!res) return;
  const d = parseJson(res.body);
  if (values.json || !isObject(d) || !('decision' in d)) return printRaw(res);
  printLines(res, [`Decision: ${d.decision}`, `Task: ${d.task}`, `LOA: ${d.loa}`, `Model: ${d.model}`, `Cost: ${d.cost}`]);
}

const [group, action, ...rest] = process.argv.slice(2);
const command = `${group ?? ''} ${action ?? ''}`.trim();
if (command === 'orchestrator status' && rest.length === 0) await orchestratorStatus();
else if (command === 'policy show' && rest.length === 0) await policyShow();
else if (command === 'route decide') await routeDecide(rest);
else fail(PROG, 2, `unknown command: ${process.argv.slice(2).join(' ') || '(none)'}\n${USAGE}`);
