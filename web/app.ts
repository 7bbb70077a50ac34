/// <reference lib="dom" />
// The console in the browser: the board or one watch, kept live by Server-Sent Events, and the answer
// forms. Answers are signed here with the key the person loads (web/keys.ts); the server sends them with
// the CLI's helpers and shows the watch's reason when it refuses.
import type { BoardView, WatchView } from '../client/console/reader';
import type { SignedKind } from '../core/signatures';
import { parseKeyText, signAnswer, type LoadedKey } from './keys';
import * as r from './render';

const app = document.getElementById('app')!;
let key: (LoadedKey & { owner?: string; file?: string }) | undefined;
let view: WatchView | undefined;
/** The last message of each form (by its data-key), kept across redraws. */
const results = new Map<string, { text: string; tone: 'ok' | 'fail' }>();

function section(id: string, title: string): string {
  return `<section class="part" id="${id}"><h2>${title}</h2><div class="body"></div></section>`;
}

/** Replaces a part's HTML only when it changed, keeping what the person typed in its forms and where they were typing. */
function patch(el: Element | null, html: string): void {
  if (!el || (el as HTMLElement).dataset.html === html) return;
  const focus = focusIn(el);
  const typed = new Map<string, string>();
  el.querySelectorAll<HTMLFormElement>('form[data-key]').forEach((f) => {
    for (const input of Array.from(f.elements) as HTMLInputElement[]) {
      if (!input.name) continue;
      if (input.type === 'radio') {
        if (input.checked) typed.set(`${f.dataset.key}|${input.name}`, input.value);
      } else typed.set(`${f.dataset.key}|${input.name}`, input.value);
    }
  });
  el.innerHTML = html;
  (el as HTMLElement).dataset.html = html;
  el.querySelectorAll<HTMLFormElement>('form[data-key]').forEach((f) => {
    for (const input of Array.from(f.elements) as HTMLInputElement[]) {
      const v = typed.get(`${f.dataset.key}|${input.name}`);
      if (v === undefined) continue;
      if (input.type === 'radio') input.checked = input.value === v && !input.disabled;
      else if (input.tagName !== 'SELECT' || Array.from((input as unknown as HTMLSelectElement).options).some((o) => o.value === v))
        input.value = v;
    }
    const res = results.get(f.dataset.key!);
    const out = f.querySelector('.result');
    if (res && out) {
      out.textContent = res.text;
      out.className = `result ${res.tone === 'ok' ? 'accepted' : 'refusal'}`;
    }
  });
  focus?.();
}

/**
 * The field of a form in `el` that has the focus, as a function that gives the same field of the redrawn
 * form the focus and the caret back: without it a live update takes the field from under the person's
 * typing, and what they type next goes nowhere.
 */
function focusIn(el: Element): (() => void) | undefined {
  const active = document.activeElement as HTMLInputElement | null;
  const key = active?.form?.dataset.key;
  if (!active || !key || !active.name || !el.contains(active)) return undefined;
  const { name, value, type } = active;
  // Only text fields have a caret (reading it from a radio or a select gives null).
  const caret =
    typeof active.selectionStart === 'number' ? [active.selectionStart, active.selectionEnd ?? active.selectionStart] : undefined;
  return () => {
    const form = el.querySelector<HTMLFormElement>(`form[data-key="${CSS.escape(key)}"]`);
    const field = (Array.from(form?.elements ?? []) as HTMLInputElement[]).find(
      (x) => x.name === name && (type !== 'radio' || x.value === value),
    );
    if (!field) return;
    field.focus();
    if (caret && typeof field.selectionStart === 'number') field.setSelectionRange(caret[0], caret[1]);
  };
}

// ---- live updates ------------------------------------------------------------------------------

function follow(url: string, onView: (v: never) => void): void {
  const status = document.getElementById('live');
  const es = new EventSource(url);
  es.addEventListener('view', (e) => {
    if (status) status.textContent = 'live';
    onView(JSON.parse((e as MessageEvent<string>).data) as never);
  });
  es.onerror = () => {
    if (status) status.textContent = 'reconnecting…';
  };
}

// ---- the board ---------------------------------------------------------------------------------

const PHASES = ['', 'watching', 'awaiting-decision', 'released', 'rollback-requested', 'rolled-back', 'completed'];

function board(): void {
  const q = new URLSearchParams(location.search);
  document.title = 'Watches: release-watch';
  app.innerHTML = `<h1>Watches <span id="live" class="badge t-muted">connecting…</span></h1>
<form class="filter" method="get" action="/">
<label>Service <input name="service" value="${r.esc(q.get('service') ?? '')}" pattern="[A-Za-z0-9._\\-]*"></label>
<label>Release <input name="release" value="${r.esc(q.get('release') ?? '')}" pattern="[A-Za-z0-9._\\-]*"></label>
<label>Phase <select name="phase">${PHASES.map((p) => `<option value="${p}"${q.get('phase') === p ? ' selected' : ''}>${p || 'any'}</option>`).join('')}</select></label>
<button type="submit">Filter</button></form>
<div id="board"></div>`;
  const filter = new URLSearchParams();
  for (const k of ['service', 'release', 'phase']) if (q.get(k)) filter.set(k, q.get(k)!);
  follow(`/api/events?${filter}`, (v: BoardView) => patch(document.getElementById('board'), r.boardTable(v)));
}

// ---- a watch -----------------------------------------------------------------------------------

function watchPage(id: string): void {
  document.title = `${id}: release-watch`;
  app.innerHTML = `<p><a href="/">← all watches</a> <span id="live" class="badge t-muted">connecting…</span></p>
<p id="last-answer" role="status" aria-live="polite"></p>
<div id="summary"></div>
<section class="part" id="key"><h2>Your signing key</h2><div class="body">${keyPanel()}</div></section>
${section('next', 'Who must act')}
${section('checkpoints', 'Checkpoints')}
${section('incidents', 'Incidents')}
${section('levers', 'Emergency levers')}
${section('grid', 'Tier runs by watch hour')}
${section('checks', 'Checks')}
${section('events', 'Events')}`;
  follow(`/api/watches/${encodeURIComponent(id)}/events`, (v: WatchView) => {
    view = v;
    draw();
  });
}

function owner(): string | undefined {
  return key?.owner;
}

function draw(): void {
  const v = view;
  if (!v) return;
  patch(document.getElementById('summary'), r.summary(v, r.reportLinks(v)));
  const body = (id: string) => document.querySelector(`#${id} .body`);
  patch(body('next'), r.nextList(v.next));
  patch(body('checkpoints'), r.checkpointForms(v, owner()));
  patch(body('incidents'), r.incidentForms(v, owner()));
  patch(body('levers'), r.leverForms(v, owner()));
  patch(body('grid'), r.grid(v));
  patch(body('checks'), r.checks(v));
  patch(body('events'), r.events(v));
  const status = document.getElementById('key-status');
  if (status) status.innerHTML = keyStatus();
}

function keyPanel(): string {
  return `<p id="key-status">${keyStatus()}</p>
<div class="keyload">
<label>Key file <input type="file" id="key-file"></label>
<details><summary>or paste it</summary><textarea id="key-text" rows="3" placeholder="# release-watch Ed25519 secret key …&#10;<64 hex digits>"></textarea><button type="button" id="key-paste">Use this key</button></details>
<button type="button" id="key-forget">Forget the key</button>
</div>
<p class="small muted">The key stays in this page: answers are signed here and only the signature is sent.</p>`;
}

function keyStatus(): string {
  const signed = view?.plan?.signed;
  if (!key)
    return signed
      ? '<span class="badge t-warn">no key</span> This plan signs every answer: load your key to answer.'
      : '<span class="badge t-muted">no key</span> This plan takes unsigned answers.';
  const person = view?.plan?.people.find((p) => p.publicKey === key!.publicKey);
  return person
    ? `<span class="badge t-ok">key loaded</span> You sign as <strong>${r.esc(person.id)}</strong> (${r.esc(person.name)})${key.file ? ` from ${r.esc(key.file)}` : ''}.`
    : `<span class="badge t-fail">unknown key</span> This key (public ${r.esc(key.publicKey.slice(0, 16))}…) belongs to nobody in this plan: the watch refuses what it signs.`;
}

function useKey(text: string, file?: string): void {
  try {
    const k = parseKeyText(text);
    key = { ...k, file, owner: view?.plan?.people.find((p) => p.publicKey === k.publicKey)?.id };
    document.querySelectorAll('[data-html]').forEach((el) => delete (el as HTMLElement).dataset.html);
    draw();
    // Every form now answers as the key's owner where the plan lets them.
    document.querySelectorAll<HTMLSelectElement>('select[name=by]').forEach((sel) => {
      if (key?.owner && Array.from(sel.options).some((o) => o.value === key!.owner)) sel.value = key.owner;
    });
  } catch (err) {
    const status = document.getElementById('key-status');
    if (status) status.innerHTML = `<span class="refusal" role="alert">Not a key: ${r.esc((err as Error).message)}</span>`;
  }
}

// ---- answers -------------------------------------------------------------------------------------

const KIND: Record<string, SignedKind> = { decide: 'decide', ack: 'ack', resolve: 'resolve', emergency: 'emergency', approve: 'approve' };

function requestOf(form: HTMLFormElement): Record<string, string> & { by: string } {
  const data = new FormData(form);
  const text = (name: string) => {
    const v = data.get(name);
    return typeof v === 'string' && v.trim() ? v : undefined;
  };
  const req: Record<string, string | undefined> = { by: text('by') };
  switch (form.dataset.kind) {
    case 'decide':
      Object.assign(req, { checkpoint: form.dataset.checkpoint, decision: text('decision'), note: text('note') });
      break;
    case 'ack':
      req.incident = form.dataset.incident;
      break;
    case 'resolve':
      Object.assign(req, {
        incident: form.dataset.incident,
        rootCause: text('rootCause'),
        resolution: text('resolution'),
        followUp: text('followUp'),
      });
      break;
    case 'emergency':
      Object.assign(req, { lever: form.dataset.lever, reason: text('reason') });
      break;
    case 'approve':
      req.request = form.dataset.request;
      break;
  }
  return Object.fromEntries(Object.entries(req).filter(([, v]) => v !== undefined)) as Record<string, string> & { by: string };
}

async function answer(form: HTMLFormElement): Promise<void> {
  const v = view!;
  const kind = form.dataset.kind!;
  // A live update may redraw the form meanwhile: the message goes to the form of this key now on the page.
  const say = (text: string, tone: 'ok' | 'fail') => {
    results.set(form.dataset.key!, { text, tone });
    // Also in one place outside the redrawn parts: the last answer's outcome, even once its form is gone.
    const last = document.getElementById('last-answer');
    if (last) {
      last.dataset.key = form.dataset.key;
      last.textContent = text;
      last.className = `result ${tone === 'ok' ? 'accepted' : 'refusal'}`;
    }
    const live = Array.from(document.querySelectorAll<HTMLFormElement>('form[data-key]')).filter((f) => f.dataset.key === form.dataset.key);
    for (const f of new Set([form, ...live])) {
      const out = f.querySelector('.result');
      if (!out) continue;
      out.textContent = text;
      out.className = `result ${tone === 'ok' ? 'accepted' : 'refusal'}`;
    }
  };
  let request: Record<string, unknown> = requestOf(form);
  if (kind === 'decide' && !request.decision) return say('choose a decision', 'fail');
  if (key) request = signAnswer(v.watchId, KIND[kind], request as { by: string }, key);
  else if (v.plan?.signed) return say(`this plan signs every answer: load ${String(request.by)}'s key above first`, 'fail');
  const button = form.querySelector('button')!;
  button.disabled = true;
  say('sending…', 'ok');
  try {
    const res = await fetch(`/api/watches/${encodeURIComponent(v.watchId)}/${kind}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(request),
      credentials: 'same-origin',
    });
    const body = (await res.json().catch(() => ({}))) as { error?: string; result?: Record<string, unknown> };
    if (res.ok) say(`accepted: ${describe(kind, body.result ?? {})}`, 'ok');
    else say(`refused: ${body.error ?? res.statusText}`, 'fail');
  } catch (err) {
    say(`not sent: ${(err as Error).message}`, 'fail');
  } finally {
    button.disabled = false;
  }
}

function describe(kind: string, x: Record<string, unknown>): string {
  if (kind === 'decide') return `checkpoint ${x.name}: ${x.decision} by ${x.by}`;
  if (kind === 'ack' || kind === 'resolve') return `incident ${x.seq}: ${x.state}, held by ${x.holder}`;
  return `request ${x.seq}: ${x.lever} ${x.state}${x.approvedBy ? `, approved by ${x.approvedBy}` : ''}`;
}

// ---- wiring --------------------------------------------------------------------------------------

app.addEventListener('submit', (e) => {
  const form = e.target as HTMLFormElement;
  if (!form.dataset.kind) return;
  e.preventDefault();
  void answer(form);
});
app.addEventListener('change', (e) => {
  const input = e.target as HTMLInputElement;
  if (input.id !== 'key-file' || !input.files?.[0]) return;
  const file = input.files[0];
  void file.text().then((t) => useKey(t, file.name));
  input.value = '';
});
app.addEventListener('click', (e) => {
  const t = e.target as HTMLElement;
  if (t.id === 'key-paste') {
    const area = document.getElementById('key-text') as HTMLTextAreaElement;
    useKey(area.value);
    area.value = '';
  }
  if (t.id === 'key-forget') {
    key = undefined;
    document.querySelectorAll('[data-html]').forEach((el) => delete (el as HTMLElement).dataset.html);
    draw();
  }
});

void fetch('/api/me', { credentials: 'same-origin' })
  .then((res) => (res.ok ? (res.json() as Promise<{ user: string }>) : undefined))
  .then((me) => {
    const el = document.getElementById('who');
    if (el && me) el.textContent = me.user === 'token' ? 'signed in with the console token' : `signed in as ${me.user}`;
  });

const m = /^\/watches\/([^/]+)\/?$/.exec(location.pathname);
if (m) watchPage(decodeURIComponent(m[1]));
else board();
