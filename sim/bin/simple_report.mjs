#!/usr/bin/env node
// Stand-in for `bash tools/simple_report.sh`: asks the service to write the report and prints
// "Report written: reports/simple-report-<n>.md".

import { call, fail, isObject, parseJson, printLines, printRaw } from './_client.mjs';

const PROG = 'simple_report';

if (process.argv.length > 2) fail(PROG, 2, `unknown arguments: ${process.argv.slice(2).join(' ')}\nusage: simple_report`);
else {
  const res = await call(PROG, 'POST', '/reports/simple');
  if (res) {
    const r = parseJson(res.body);
    if (isObject(r) && typeof r.path === 'string' && res.status < 400) printLines(res, [`Report written: ${r.path}`]);
    else printRaw(res);
  }
}
