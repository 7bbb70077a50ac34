import { bundleWorkflowCode } from '@temporalio/worker';
import { createHash } from 'node:crypto';
import { bundleOptions } from '../worker/bundle';
const q = () => undefined;
(async () => {
  const b = await bundleWorkflowCode({ ...bundleOptions, logger: { log: q, trace: q, debug: q, info: q, warn: q, error: q } });
  console.log(b.code.length, createHash('sha256').update(b.code).digest('hex'));
  console.log((b.code.match(/\/work\/main[^"' ]*/g) ?? []).slice(0, 10));
  require('fs').writeFileSync('/tmp/bundle.js', b.code);
})();
