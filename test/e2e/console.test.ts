// The on-call console in a real browser: headless Chromium against `serve` with the console on, a dev
// server, a worker with the real activities and the simulator. The board, a watch followed live through
// a failure, signed answers from keys loaded into the page, and the refusals the watch gives (wrong
// person, wrong decision, a requester approving, a replayed signature) shown where they were asked.
// Screenshots go to test-artifacts/console/ (git-ignored).
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { BrowserContext, Page } from 'playwright-core';
import { readKeyFile, signRequest } from '../../client/keys';
import { createServeServer, listen, stop, temporalBackend } from '../../client/serve';
import { startWatch } from '../../client/watches';
import type { Plan } from '../../plan/schema';
import { launchChromium, SCREENSHOTS } from '../helpers/browser';
import { demoPlan } from '../helpers/plans';
import { devServerEnv } from '../helpers/servers';
import { realWorker, shortPlan, startWorld, waitForStatus, type World } from '../helpers/world';

const TOKEN = `console-e2e-${randomUUID()}`;
const KEYS = join(__dirname, '..', '..', 'plans', 'keys');
const keyFile = (person: string) => join(KEYS, `${person}.key`);
const taskQueue = `console-e2e-${randomUUID()}`;

let env: TestWorkflowEnvironment;
let world: World;
let worker: Worker;
let running: Promise<void>;
let server: Server;
let base: string;
let chromium: { context: BrowserContext; close(): Promise<void> };
let page: Page;
let watchId: string;
const logged: Array<Record<string, unknown>> = [];
/** Errors thrown in the page, reported when an answer never shows. */
const pageErrors: string[] = [];

/** The demo plan over 48 one-second hours; the 12h checkpoint gates escalate; conservative-mode needs a second person. */
function consolePlan(): Plan {
  const plan = shortPlan(demoPlan(), 48, '1s');
  plan.checkpoints = plan.checkpoints.map((c) => (c.name === '12h' ? { ...c, gated: ['escalate'] } : c));
  plan.levers['conservative-mode'] = {
    ...plan.levers['conservative-mode']!,
    // 20 watch hours (20 s here) to approve: 30m would be half a second, less than a loaded machine may take between two steps.
    approval: { required: true, approvers: ['release-captain', 'policy-steward'], within: '20h' },
  };
  return plan;
}

beforeAll(async () => {
  env = await devServerEnv();
  world = await startWorld();
  worker = await realWorker(env, taskQueue);
  running = worker.run();
  const backend = temporalBackend(env.client, { address: env.address, namespace: env.namespace ?? 'default' }, { taskQueue });
  server = createServeServer({
    backend,
    plansDir: join(__dirname, '..', '..', 'plans'),
    console: { client: env.client, auth: { token: TOKEN }, link: backend.link, watchEveryMs: 300, boardEveryMs: 500 },
    log: (e) => logged.push(e),
  });
  base = `http://127.0.0.1:${(await listen(server, 0, '127.0.0.1')).port}`;
  chromium = await launchChromium();
  page = await chromium.context.newPage();
  page.on('pageerror', (err) => pageErrors.push(err.message));
  process.stdout.write(`console screenshots: ${SCREENSHOTS}\n`);
});

afterAll(async () => {
  if (watchId)
    await env?.client.workflow
      .getHandle(watchId)
      .terminate('console e2e done')
      .catch(() => undefined);
  await chromium?.close();
  if (server) {
    server.closeAllConnections();
    await stop(server);
  }
  worker?.shutdown();
  await running;
  await env?.teardown();
  await world?.close();
});

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** Loads a person's key file into the page, as a person would with the file picker. */
async function loadKey(person: string): Promise<void> {
  await page.setInputFiles('#key-file', keyFile(person));
  await page.waitForSelector(`#key-status:has-text("You sign as ${person}")`);
}

/** Submits a form and returns what the page says of the answer (also kept once a live update removed the form). */
async function submit(form: string): Promise<string> {
  // The form's own submit, found and sent in one task of the page: a live update may redraw the form between a
  // click's checks and the click, and even between `$eval`'s query and its function (two round trips, which
  // once submitted a form the redraw had just taken off the page: nothing sent, nothing said).
  // Whether the submit event fired is known when requestSubmit returns: a form that did not submit says why now.
  const sent = await page.evaluate((selector) => {
    const el = document.querySelector<HTMLFormElement>(selector);
    if (!el) return { key: '', fired: false, connected: false, invalid: [], values: [] };
    let fired = false;
    const saw = () => (fired = true);
    el.addEventListener('submit', saw);
    el.requestSubmit();
    el.removeEventListener('submit', saw);
    const controls = Array.from(el.elements) as HTMLInputElement[];
    return {
      key: el.dataset.key!,
      fired,
      connected: el.isConnected,
      invalid: controls.filter((c) => c.willValidate && !c.checkValidity()).map((c) => `${c.name}: ${c.validationMessage}`),
      values: controls.filter((c) => c.name && (c.type !== 'radio' || c.checked)).map((c) => `${c.name}=${c.value}`),
    };
  }, form);
  if (!sent.fired) throw new Error(`${form} did not submit: ${JSON.stringify(sent)}; page errors: ${JSON.stringify(pageErrors)}`);
  const key = sent.key;
  const said = await page
    .waitForFunction((k) => {
      const last = document.getElementById('last-answer');
      return last?.dataset.key === k && !/^(sending…)?$/.test(last.textContent ?? '') ? last.textContent : false;
    }, key)
    .catch(async (err: Error) => {
      // What the page and the server saw, so that a miss says where the answer stopped.
      const seen = await page.evaluate(() => {
        const last = document.getElementById('last-answer');
        return { key: last?.dataset.key, text: last?.textContent, live: document.getElementById('live')?.textContent };
      });
      const posts = logged.filter((e) => e.method === 'POST');
      throw new Error(
        `${err.message}; #last-answer ${JSON.stringify(seen)}; the console's POSTs: ${JSON.stringify(posts)}; page errors: ${JSON.stringify(pageErrors)}`,
      );
    });
  const text = (await said.jsonValue()) as string;
  await page.evaluate(() => delete document.getElementById('last-answer')!.dataset.key);
  return text;
}

/** An answer sent from the page's own session (its cookie), as a script in the page would. */
async function post(kind: string, body: unknown): Promise<{ status: number; body: { error?: string; refusedBy?: string } }> {
  return page.evaluate(
    async ([url, payload]) => {
      const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: payload });
      return { status: res.status, body: await res.json() };
    },
    [`/api/watches/${encodeURIComponent(watchId)}/${kind}`, JSON.stringify(body)] as const,
  );
}

test('the console: sign in, the board, a watch followed live through a failure, signed answers and the refusals', async () => {
  // Sign in: a page asks for the token first.
  await page.goto(`${base}/`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('#token', 'not-the-token-at-all');
  await page.click('button[type=submit]');
  await expect(page.locator('.refusal').textContent()).resolves.toBe('That is not the console token.');
  await page.fill('#token', TOKEN);
  await page.click('button[type=submit]');
  await page.waitForURL(`${base}/`);
  const cookies = await chromium.context.cookies(base);
  expect(cookies.find((c) => c.name === 'rw_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

  // A failure from the start: ollama offline, so the hourly pulse fails and pages the on-call.
  world.sim.setFault('service-offline', { service: 'ollama' });
  const started = await startWatch(env.client, {
    plan: consolePlan(),
    release: { service: 'symphony', version: `v1.${randomUUID().slice(0, 6)}`, commit: 'abc1234', deployedAt: new Date().toISOString() },
    startedBy: 'console-e2e',
    taskQueue,
  });
  watchId = started.workflowId;

  // The board lists it (from the search attributes), filtered like `release-watch list`.
  const row = page.locator('table.board tr', { hasText: watchId });
  await row.waitFor({ timeout: 30_000 });
  await page.goto(`${base}/?service=symphony`);
  await row.waitFor();
  await shot('01-board');
  await page.goto(`${base}/?service=no-such-service`);
  await page.waitForSelector(':text("no watches match")');

  // The watch page follows it live: the incident opens and the health turns failing, without a reload.
  await page.goto(`${base}/watches/${encodeURIComponent(watchId)}`);
  await page.waitForSelector('[data-incident="1"]', { timeout: 30_000 });
  await expect(page.locator('[data-incident="1"] h3').textContent()).resolves.toMatch(/Incident 1: fast-pulse/);
  await page.waitForSelector('#summary :text("failing")');
  expect(await page.locator('#key-status').textContent()).toMatch(/This plan signs every answer: load your key/);
  await shot('02-failure');
  world.sim.clearFault('service-offline');

  // Without a key, an answer is not sent: the page says why.
  const ackForm = '[data-incident="1"] form[data-kind=ack]';
  expect(await submit(ackForm)).toMatch(/this plan signs every answer: load duty-engineer's key above first/);

  // Acknowledge and resolve as duty-engineer, with the key loaded into the page.
  await loadKey('duty-engineer');
  await page.selectOption(`${ackForm} select[name=by]`, 'duty-engineer');
  expect(await submit(ackForm)).toMatch(/^accepted: incident 1: acknowledged, held by duty-engineer$/);
  const resolveForm = '[data-incident="1"] form[data-kind=resolve]';
  await page.waitForSelector(resolveForm);
  await page.selectOption(`${resolveForm} select[name=by]`, 'duty-engineer');
  // A live update redraws the form while the person types: the field keeps the focus, the caret and the text,
  // and the rest of what they type lands in it. (The part is marked as drawn from other HTML, so the next
  // update redraws it even if nothing in it changed.)
  await page.click(`${resolveForm} [name=rootCause]`);
  await page.keyboard.type('ollama');
  await page.evaluate(() => {
    (document.activeElement as HTMLElement).dataset.before = 'redraw';
    delete document.querySelector<HTMLElement>('#incidents .body')!.dataset.html;
  });
  const redrawn = await page.waitForFunction(
    () => {
      const a = document.activeElement as HTMLTextAreaElement | null;
      return a?.name === 'rootCause' && a.isConnected && a.dataset.before === undefined
        ? { value: a.value, caret: a.selectionStart, form: a.form?.dataset.key }
        : false;
    },
    undefined,
    { timeout: 30_000 },
  );
  expect(await redrawn.jsonValue()).toEqual({ value: 'ollama', caret: 6, form: 'resolve-1' });
  await page.keyboard.type(' stopped (simulated)');
  expect(await page.inputValue(`${resolveForm} [name=rootCause]`)).toBe('ollama stopped (simulated)');
  await page.fill(`${resolveForm} [name=resolution]`, 'restarted by the automatic lever');
  await page.fill(`${resolveForm} [name=followUp]`, 'alert on ollama memory');
  expect(await submit(resolveForm)).toMatch(/^accepted: incident 1: resolved/);
  await page.waitForSelector('[data-incident="1"] :text("incident 1 is already resolved")');

  // The 12h checkpoint: criteria shown; the gated escalate is not offered while one is unmet, and says which.
  const cp = '[data-checkpoint="12h"]';
  await page.waitForSelector(cp, { timeout: 60_000 });
  await expect(page.locator(`${cp} ul.criteria`).textContent()).resolves.toMatch(/unmet No critical alerts triggered/);
  expect(await page.locator(`${cp} input[value=escalate]`).isDisabled()).toBe(true);
  await expect(page.locator(`${cp} label.choice`, { hasText: 'escalate' }).textContent()).resolves.toMatch(
    /needs every criterion met; unmet: .*No critical alerts triggered/,
  );
  const deciders = await page.locator(`${cp} select[name=by] option`).evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
  expect(deciders.sort()).toEqual(['duty-engineer', 'duty-engineer-2', 'release-captain']);
  await shot('03-checkpoint');

  // Wrong person: duty-engineer's key signing in release-captain's name; the watch's reason beside the form.
  const decideForm = `${cp} form[data-kind=decide]`;
  await page.check(`${decideForm} input[value=continue]`);
  await page.selectOption(`${decideForm} select[name=by]`, 'release-captain');
  expect(await submit(decideForm)).toBe(
    "refused: signature does not verify with release-captain's public key (signed by someone else, for another watch, or altered)",
  );
  await shot('04-wrong-person');

  // Wrong decision, signed properly, from the page's session: the watch names the allowed ones.
  const wrong = await post(
    'decide',
    signRequest(
      watchId,
      'decide',
      { checkpoint: '12h', decision: 'release', by: 'release-captain' },
      readKeyFile(keyFile('release-captain')),
    ),
  );
  expect(wrong).toEqual({
    status: 409,
    body: { error: 'decision "release" is not allowed at checkpoint "12h" (allowed: continue, escalate, rollback)', refusedBy: 'watch' },
  });

  // The decision, signed in the page with release-captain's key.
  await loadKey('release-captain');
  await page.check(`${decideForm} input[value=continue]`);
  await page.fill(`${decideForm} [name=note]`, 'incident 1 written up; carry on');
  expect(await page.locator(`${decideForm} select[name=by]`).inputValue()).toBe('release-captain');
  expect(await submit(decideForm)).toBe('accepted: checkpoint 12h: continue by release-captain');
  await page.waitForSelector('#checkpoints :text("continue by release-captain at hour")');

  // A lever that needs a second person: asked by policy-steward, who is then not offered as its approver.
  await loadKey('policy-steward');
  const ask = '[data-lever="conservative-mode"] form[data-kind=emergency]';
  await page.selectOption(`${ask} select[name=by]`, 'policy-steward');
  await page.fill(`${ask} [name=reason]`, 'unstable routing');
  expect(await submit(ask)).toMatch(/^accepted: request \d+: conservative-mode awaiting-approval$/);
  const approval = page.locator('[data-request] form[data-kind=approve]');
  await approval.waitFor();
  const seq = await approval.getAttribute('data-request');
  const approvers = await approval.locator('select[name=by] option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value));
  expect(approvers).toEqual(['release-captain']);
  const own = await post(
    'approve',
    signRequest(watchId, 'approve', { request: seq!, by: 'policy-steward' }, readKeyFile(keyFile('policy-steward'))),
  );
  expect(own).toEqual({
    status: 409,
    body: { error: `a second person must approve: policy-steward asked for request ${seq}`, refusedBy: 'watch' },
  });
  await shot('05-awaiting-approval');
  await loadKey('release-captain');
  expect(await submit(`[data-request="${seq}"] form[data-kind=approve]`)).toMatch(
    new RegExp(`^accepted: request ${seq}: conservative-mode (running|done), approved by release-captain$`),
  );

  // A replayed signature: the page's own accepted request sent again is refused, and nothing changes.
  await loadKey('duty-engineer');
  const restart = '[data-lever="restart-services"] form[data-kind=emergency]';
  await page.waitForSelector(restart, { timeout: 30_000 });
  const sent = page.waitForRequest((r) => r.url().endsWith('/emergency') && r.method() === 'POST');
  await page.selectOption(`${restart} select[name=by]`, 'duty-engineer');
  await page.fill(`${restart} [name=reason]`, 'clear the cache');
  const restarted = await submit(restart);
  expect(restarted).toMatch(/^accepted: request \d+: restart-services (running|done)$/);
  const restartSeq = Number(/request (\d+)/.exec(restarted)![1]);
  const signed = JSON.parse((await sent).postData()!);
  expect(signed.signature.nonce).toMatch(/^[0-9a-f]{32}$/);
  // restart-services has a verify check that runs after the lever is done: wait for it too, so
  // nothing is still moving when the replay is compared.
  const before = await waitForStatus(
    env.client,
    watchId,
    // By its own seq: the watch may have run restart-services before (seen in CI, where an earlier
    // request's verify satisfied the wait and this one's landed between the two reads).
    (s) => s.levers.every((r) => r.state !== 'running') && s.levers.some((r) => r.seq === restartSeq && r.verify),
    'the restart and its verify check to finish',
  );
  const replay = await post('emergency', signed);
  expect(replay.status).toBe(409);
  expect(replay.body.error).toMatch(/^signature nonce [0-9a-f]{32} was already used: a replayed request is refused$/);
  const after = await waitForStatus(env.client, watchId, () => true, 'a status');
  expect(after.levers).toEqual(before.levers);

  // The report with charts, from the last status.
  const report = await page.request.get(`${base}/watches/${encodeURIComponent(watchId)}/report`);
  expect(report.status()).toBe(200);
  expect(await report.text()).toMatch(/<svg[\s\S]*Response time/);
  await shot('06-answered');

  // A phone: the same page, one column.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(SCREENSHOTS, '07-phone.png') });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  expect(width).toBeLessThanOrEqual(400);

  // The request log names the viewer and never carries the token.
  expect(JSON.stringify(logged)).not.toContain(TOKEN);
});
