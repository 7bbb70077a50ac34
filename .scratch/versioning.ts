import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import { devServerEnv } from '../test/helpers/servers';
const q = () => undefined;
const logger = { log: q, trace: q, debug: q, info: q, warn: q, error: console.error };
(async () => {
  const env = await devServerEnv();
  const svc = env.client.workflowService;
  try {
    const bundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./vwf'), logger });
    const mk = (buildId: string) => Worker.create({ connection: env.nativeConnection, taskQueue: 'tq', workflowBundle: bundle,
      workerDeploymentOptions: { version: { deploymentName: 'rw', buildId }, useWorkerVersioning: true, defaultVersioningBehavior: 'PINNED' } });
    const a = await mk('A');
    const runA = a.run();
    for (let i = 0; i < 50; i++) {
      try { const d = await svc.describeWorkerDeployment({ namespace: 'default', deploymentName: 'rw' }); console.log('deployment', JSON.stringify(d.workerDeploymentInfo?.versionSummaries?.map(v=>v.version ?? v.deploymentVersion))); break; } catch (e) { await new Promise(r => setTimeout(r, 200)); }
    }
    const t0 = Date.now();
    await svc.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName: 'rw', buildId: 'A' });
    console.log('set current A in', Date.now() - t0);
    const h = await env.client.workflow.start('tiny', { taskQueue: 'tq', workflowId: 'w1' });
    await new Promise(r => setTimeout(r, 1000));
    const desc = await h.describe();
    console.log('raw versioningInfo', JSON.stringify(desc.raw.workflowExecutionInfo?.versioningInfo));
    const b = await mk('B');
    const runB = b.run();
    for (let i = 0; i < 50; i++) { try { await svc.setWorkerDeploymentCurrentVersion({ namespace: 'default', deploymentName: 'rw', buildId: 'B' }); break; } catch (e) { if (i===49) throw e; await new Promise(r => setTimeout(r, 200)); } }
    console.log('B current');
    const h2 = await env.client.workflow.start('tiny', { taskQueue: 'tq', workflowId: 'w2' });
    await h.signal('go'); await h2.signal('go');
    console.log(await h.result(), await h2.result());
    const hist = await h.fetchHistory();
    console.log(hist.events?.filter(e => e.workflowTaskCompletedEventAttributes).map(e => JSON.stringify({v: e.workflowTaskCompletedEventAttributes?.deploymentVersion, b: e.workflowTaskCompletedEventAttributes?.versioningBehavior, wv: (e.workflowTaskCompletedEventAttributes as any).workerDeploymentVersion})));
    const hist2 = await h2.fetchHistory();
    console.log(hist2.events?.filter(e => e.workflowTaskCompletedEventAttributes).map(e => JSON.stringify(e.workflowTaskCompletedEventAttributes?.deploymentVersion)));
    const dv = await svc.describeWorkerDeploymentVersion({ namespace: 'default', deploymentVersion: { deploymentName: 'rw', buildId: 'A' } });
    console.log('A info', JSON.stringify(dv.workerDeploymentVersionInfo?.drainageInfo), dv.workerDeploymentVersionInfo?.status);
    for await (const w of env.client.workflow.list({ query: "TemporalWorkerDeploymentVersion = 'rw:A'" })) console.log('listed', w.workflowId, w.status.name);
    a.shutdown(); b.shutdown(); await runA; await runB;
  } finally { await env.teardown(); }
})().catch(e => { console.error(e); process.exit(1); });
