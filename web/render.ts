// The console's views as HTML text: the board and the parts of a watch page. Every value from the watch
// is escaped; every colour cue has its word beside it.
import type { BoardView, WatchView } from '../client/console/reader';
import type { CheckpointOffer, IncidentOffer, NextAction, PlanSummary } from '../client/console/offers';

export const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const TONE: Record<string, string> = {
  healthy: 'ok',
  ok: 'ok',
  met: 'ok',
  released: 'ok',
  completed: 'ok',
  resolved: 'ok',
  done: 'ok',
  degraded: 'warn',
  warning: 'warn',
  warn: 'warn',
  'awaiting-decision': 'warn',
  acknowledged: 'warn',
  recovered: 'warn',
  'awaiting-approval': 'warn',
  pending: 'warn',
  failing: 'fail',
  fail: 'fail',
  open: 'fail',
  failed: 'fail',
  missed: 'fail',
  'rollback-requested': 'fail',
  'rolled-back': 'fail',
  expired: 'fail',
};

/** A word with its colour: the word alone still says it. */
export const badge = (word: string | undefined) => (word ? `<span class="badge t-${TONE[word] ?? 'muted'}">${esc(word)}</span>` : '');

export function when(iso: string | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(d.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' }))}</time>`;
}

const who = (people: string[]) => (people.length ? people.map(esc).join(', ') : '–');

export function nextCell(next: NextAction[] | undefined): { due: string; who: string; what: string } {
  const n = next?.[0];
  if (!n) return { due: '–', who: '–', what: 'nothing waits on a person' };
  return { due: when(n.due), who: who(n.who), what: esc(n.what) };
}

// ---- the board ------------------------------------------------------------------------------

export function boardTable(v: BoardView): string {
  if (v.error) return `<p class="refusal" role="alert">${esc(v.error)}</p>`;
  if (!v.rows.length) return '<p class="muted">no watches match</p>';
  const rows = v.rows.map((r) => {
    const n = nextCell(r.next);
    return `<tr>
<td data-label="Watch"><a href="/watches/${encodeURIComponent(r.workflowId)}">${esc(r.workflowId)}</a></td>
<td data-label="Service">${esc(r.service)}</td>
<td data-label="Release">${esc(r.release)}</td>
<td data-label="Phase">${badge(r.phase)}</td>
<td data-label="Health">${badge(r.health)}</td>
<td data-label="Open incidents" class="n">${esc(r.openIncidents ?? 0)}</td>
<td data-label="Next deadline">${n.due}</td>
<td data-label="Who must act">${n.who}${r.next?.length ? `<div class="muted small">${n.what}</div>` : ''}</td>
<td data-label="Workflow">${esc(r.status.toLowerCase())}${r.stale ? ' <span class="badge t-muted" title="' + esc(r.stale) + '">stale</span>' : ''}</td>
</tr>`;
  });
  return `<table class="board"><thead><tr><th>Watch</th><th>Service</th><th>Release</th><th>Phase</th><th>Health</th><th class="n">Open incidents</th><th>Next deadline</th><th>Who must act</th><th>Workflow</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

// ---- a watch ----------------------------------------------------------------------------------

export function summary(v: WatchView, reports: string): string {
  const s = v.status;
  const a = v.attributes;
  const banner = [
    v.error ? `<p class="refusal" role="alert">${esc(v.error)}</p>` : '',
    v.stale ? `<p class="stale" role="status"><strong>Stale:</strong> ${esc(v.stale)}</p>` : '',
  ].join('');
  const oncall = s ? `${esc(s.onCall.primary)} (backup ${esc(s.onCall.backup)}, escalation ${esc(s.onCall.escalation)})` : '–';
  return `${banner}
<h1>${esc(a.service ?? s?.service ?? '')} ${esc(a.release ?? s?.release.version ?? '')} <span class="muted small">${esc(v.watchId)}</span></h1>
<dl class="meta">
<dt>Phase</dt><dd>${badge(a.phase ?? s?.phase)}</dd>
<dt>Health</dt><dd>${badge(a.health ?? s?.health)}</dd>
<dt>Open incidents</dt><dd>${esc(a.openIncidents ?? s?.openIncidents ?? 0)}</dd>
<dt>Watch hour</dt><dd>${s ? `${esc(s.hour)} of ${esc(s.endHour)}${s.nextSlotHour !== undefined ? ` (next slot ${esc(s.nextSlotHour)})` : ''}` : '–'}</dd>
<dt>On call</dt><dd>${oncall}</dd>
<dt>Plan</dt><dd>${esc(s?.plan ?? v.plan?.name ?? '')}${v.plan?.signed ? ' (answers are signed)' : ''}</dd>
<dt>Workflow</dt><dd>${esc(v.execution?.status.toLowerCase() ?? '')}, ${esc(v.execution?.historyLength ?? '')} events · <a href="${esc(v.webUi)}" target="_blank" rel="noopener">Temporal Web UI</a></dd>
<dt>Reports</dt><dd>${reports}</dd>
</dl>`;
}

export function reportLinks(v: WatchView): string {
  const base = `/watches/${encodeURIComponent(v.watchId)}/report`;
  const written = v.status?.reports.map((r) => `${r.kind} at hour ${r.hour}${r.path ? ` (${r.path})` : ''}`) ?? [];
  return `<a href="${base}" target="_blank" rel="noopener">report now (HTML, charts)</a> · <a href="${base}.md" target="_blank" rel="noopener">Markdown</a> · <a href="${base}.json" target="_blank" rel="noopener">JSON</a>${
    written.length ? `<div class="muted small">written by the watch: ${written.map(esc).join('; ')}</div>` : ''
  }`;
}

export function nextList(next: NextAction[] | undefined): string {
  if (!next?.length) return '<p class="muted">Nothing waits on a person.</p>';
  return `<ul class="next">${next
    .map((n) => `<li><strong>${esc(n.what)}</strong>: ${who(n.who)}${n.due ? `, by ${when(n.due)}` : ''}</li>`)
    .join('')}</ul>`;
}

const GRID_MARK: Record<string, [string, string]> = {
  ok: ['✓', 'ok'],
  warn: ['!', 'warn'],
  fail: ['✗', 'fail'],
  missed: ['M', 'missed'],
  due: ['·', 'due'],
  none: ['', 'not scheduled'],
};

export function grid(v: WatchView): string {
  if (!v.grid?.length || !v.status) return '<p class="muted">no tier runs yet</p>';
  const hours = v.grid[0].cells.length;
  const head = Array.from({ length: hours }, (_, h) => `<th scope="col">${h}</th>`).join('');
  const rows = v.grid.map(
    (r) =>
      `<tr><th scope="row">${esc(r.tier)}${r.late ? ` <span class="muted small">(${esc(r.late)} late)</span>` : ''}</th>${r.cells
        .map((c, h) => `<td class="g-${c}" title="${esc(r.tier)} hour ${h}: ${GRID_MARK[c][1]}">${GRID_MARK[c][0]}</td>`)
        .join('')}</tr>`,
  );
  return `<div class="scroll"><table class="grid"><thead><tr><th>tier \\ hour</th>${head}</tr></thead><tbody>${rows.join('')}</tbody></table></div>
<p class="legend small">✓ ok · ! warn · ✗ fail · M missed · · due · blank: not scheduled. Late runs are counted per tier.</p>`;
}

export function checks(v: WatchView): string {
  const s = v.status;
  if (!s) return '';
  const rows = s.categories.flatMap((cat) =>
    cat.checks.map((c) => {
      const st = s.checks[c.check];
      const last = st?.last;
      return `<tr><td data-label="Check"><strong>${esc(c.check)}</strong><div class="muted small">${esc(v.plan?.checks[c.check]?.description ?? '')}</div></td>
<td data-label="Category">${esc(cat.category)}</td>
<td data-label="Status">${badge(st?.status ?? 'not run')}</td>
<td data-label="Runs" class="n">${esc(st?.runs ?? 0)} (${esc(st?.fails ?? 0)} failed, ${esc(st?.warns ?? 0)} warned)</td>
<td data-label="Last evidence">${last ? `hour ${esc(last.hour)}: ${badge(last.outcome)} ${esc(last.reason)} <span class="muted small">(${esc(last.durationMs)} ms)</span>` : '–'}</td></tr>`;
    }),
  );
  return `<table><thead><tr><th>Check</th><th>Category</th><th>Status</th><th class="n">Runs</th><th>Last evidence</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The person picker of a form: only the people the plan allows; the loaded key's owner first. */
function personSelect(name: string, people: string[], plan: PlanSummary | undefined, keyOwner: string | undefined): string {
  const ordered = keyOwner && people.includes(keyOwner) ? [keyOwner, ...people.filter((p) => p !== keyOwner)] : people;
  const label = (id: string) => plan?.people.find((p) => p.id === id)?.name ?? id;
  return `<select name="${name}" required>${ordered.map((p) => `<option value="${esc(p)}">${esc(p)} (${esc(label(p))})</option>`).join('')}</select>`;
}

export function checkpointForms(v: WatchView, keyOwner: string | undefined): string {
  const s = v.status;
  if (!s) return '';
  const decided = s.checkpoints
    .filter((c) => c.state !== 'pending')
    .map(
      (c) =>
        `<li>${esc(c.title)} (hour ${esc(c.hour)}): ${c.state === 'decided' ? `${badge('done')} ${esc(c.decision)} by ${esc(c.by)} at hour ${esc(c.decidedHour)}${c.note ? `: “${esc(c.note)}”` : ''}` : badge(c.state)}</li>`,
    );
  const pending = (v.offers?.checkpoints ?? []).map((c) => checkpointForm(v, c, keyOwner));
  return `${pending.join('') || '<p class="muted">No checkpoint waits for a decision.</p>'}<ul class="plain">${decided.join('')}</ul>`;
}

function criteriaList(c: CheckpointOffer): string {
  return `<ul class="criteria">${c.criteria
    .map(
      (x) =>
        `<li class="${x.met ? 'met' : 'unmet'}"><span class="word">${x.met ? 'met' : 'unmet'}</span> ${esc(x.name)}: <span class="muted">${esc(x.detail)}</span></li>`,
    )
    .join('')}</ul>`;
}

function checkpointForm(v: WatchView, c: CheckpointOffer, keyOwner: string | undefined): string {
  const options = c.decisions
    .map((d) => {
      const blocked = d.unmet.length > 0;
      const why = blocked
        ? `needs every criterion met; unmet: ${d.unmet.map((x) => x.name).join('; ')}`
        : d.needsNote
          ? 'needs your note'
          : '';
      return `<label class="choice${blocked ? ' blocked' : ''}"><input type="radio" name="decision" value="${esc(d.decision)}"${blocked ? ' disabled' : ''}${d.needsNote ? ' data-needs-note="1"' : ''}> ${esc(d.decision)}${
        d.gated ? ' <span class="muted small">(gated)</span>' : ''
      }${why ? `<span class="why small">${esc(why)}</span>` : ''}</label>`;
    })
    .join('');
  return `<section class="card" data-checkpoint="${esc(c.name)}">
<h3>${esc(c.title)} <span class="muted small">hour ${esc(c.hour)}${c.deadline ? `, reminder ${when(c.deadline)}` : ''}</span></h3>
<p class="small muted">Criteria as the watch evaluated them when it opened (it checks them again on a decision):</p>
${criteriaList(c)}
<form data-kind="decide" data-key="decide-${esc(c.name)}" data-checkpoint="${esc(c.name)}">
<fieldset><legend>Decision</legend>${options}</fieldset>
<label>By ${personSelect('by', c.deciders, v.plan, keyOwner)}</label>
<label>Note <textarea name="note" rows="2" maxlength="2000" placeholder="why (required for some decisions)"></textarea></label>
<button type="submit">Decide</button>
<p class="result" aria-live="polite"></p>
</form></section>`;
}

export function incidentForms(v: WatchView, keyOwner: string | undefined): string {
  const s = v.status;
  if (!s) return '';
  if (!s.incidents.length) return '<p class="muted">No incidents.</p>';
  return (v.offers?.incidents ?? [])
    .map((o) => {
      const i = s.incidents.find((x) => x.id === o.id)!;
      return `<section class="card" data-incident="${esc(o.seq)}">
<h3>Incident ${esc(o.seq)}: ${esc(i.check)} ${badge(i.state)} <span class="muted small">${esc(i.severity)}</span></h3>
<p>${esc(i.reason)}</p>
<dl class="meta small"><dt>Opened</dt><dd>hour ${esc(i.openedAtHour)}</dd><dt>Held by</dt><dd>${esc(i.holder ?? '–')}</dd>
<dt>Acknowledged</dt><dd>${i.ackedBy ? `by ${esc(i.ackedBy)} at hour ${esc(i.ackedHour)}` : '–'} ${i.ackSla ? `(ack SLA ${badge(i.ackSla)})` : ''}</dd>
<dt>Next deadline</dt><dd>${when(i.nextDeadline)}</dd>${i.resolvedBy ? `<dt>Resolved</dt><dd>by ${esc(i.resolvedBy)} at hour ${esc(i.resolvedHour)}</dd>` : ''}${
        i.document ? `<dt>Document</dt><dd>${esc(i.document)}</dd>` : ''
      }</dl>
${incidentAnswer(v, o, keyOwner)}
</section>`;
    })
    .join('');
}

function incidentAnswer(v: WatchView, o: IncidentOffer, keyOwner: string | undefined): string {
  if ('why' in o.ack) return `<p class="muted small">${esc(o.ack.why)}</p>`;
  const resolvePeople = 'people' in o.resolve ? o.resolve.people : [];
  return `<div class="forms">
<form data-kind="ack" data-key="ack-${o.seq}" data-incident="${o.seq}">
<label>Acknowledge as ${personSelect('by', o.ack.people, v.plan, keyOwner)}</label>
${o.holder && o.state === 'acknowledged' ? `<p class="small muted">${esc(o.holder)} holds it; acknowledging takes it over.</p>` : ''}
<button type="submit">Acknowledge</button><p class="result" aria-live="polite"></p></form>
<form data-kind="resolve" data-key="resolve-${o.seq}" data-incident="${o.seq}">
<label>Resolve as ${personSelect('by', resolvePeople, v.plan, keyOwner)}</label>
<label>Root cause <textarea name="rootCause" rows="2" maxlength="4000" required></textarea></label>
<label>Resolution <textarea name="resolution" rows="2" maxlength="4000" required></textarea></label>
<label>Follow-up <textarea name="followUp" rows="2" maxlength="4000"></textarea></label>
<button type="submit">Resolve</button><p class="result" aria-live="polite"></p></form>
</div>`;
}

export function leverForms(v: WatchView, keyOwner: string | undefined): string {
  const s = v.status;
  const o = v.offers;
  if (!s || !o) return '';
  const approvals = o.approvals.map(
    (a) => `<section class="card" data-request="${a.seq}">
<h3>Request ${a.seq}: ${esc(a.lever)} ${badge('awaiting-approval')}</h3>
<p>Asked by <strong>${esc(a.requestedBy)}</strong>: ${esc(a.reason)}${a.expiresAt ? `. Expires ${when(a.expiresAt)}` : ''}</p>
${
  a.approvers.length
    ? `<form data-kind="approve" data-key="approve-${a.seq}" data-request="${a.seq}">
<label>Approve as ${personSelect('by', a.approvers, v.plan, keyOwner)}</label>
<p class="small muted">A second person approves: ${esc(a.requestedBy)}, who asked, is not offered.</p>
<button type="submit">Approve</button><p class="result" aria-live="polite"></p></form>`
    : `<p class="muted small">No approver other than ${esc(a.requestedBy)} is in the plan.</p>`
}</section>`,
  );
  const levers = o.levers.map(
    (l) => `<section class="card lever" data-lever="${esc(l.lever)}">
<h3>${esc(l.lever)}${l.approval ? ` <span class="muted small">needs approval by ${esc(l.approval.approvers.join(' or '))} within ${esc(l.approval.within)}</span>` : ''}</h3>
<p class="small">${esc(l.description)}</p>
${
  l.why
    ? `<p class="muted small">${esc(l.why)}</p>`
    : `<form data-kind="emergency" data-key="emergency-${esc(l.lever)}" data-lever="${esc(l.lever)}">
<label>Ask as ${personSelect('by', l.requesters, v.plan, keyOwner)}</label>
<label>Reason <input name="reason" maxlength="4000" required></label>
<button type="submit" class="danger">Pull ${esc(l.lever)}</button><p class="result" aria-live="polite"></p></form>`
}</section>`,
  );
  const history = s.levers
    .filter((r) => r.state !== 'awaiting-approval')
    .map(
      (r) =>
        `<li>Request ${r.seq}: ${esc(r.lever)} ${badge(r.state)} by ${esc(r.by)}${r.automatic ? ' (automatic)' : ''}${r.approvedBy ? `, approved by ${esc(r.approvedBy)}` : ''}: ${esc(r.reason)}</li>`,
    );
  return `${approvals.join('')}${history.length ? `<ul class="plain">${history.join('')}</ul>` : ''}${o.ended ? `<p class="muted">${esc(o.ended)}: no lever can be pulled.</p>` : levers.join('')}`;
}

export function events(v: WatchView): string {
  const s = v.status;
  if (!s) return '';
  const refused = s.refused.slice(-10).reverse();
  return `${
    refused.length
      ? `<h3>Refused answers</h3><ul class="plain">${refused.map((r) => `<li>hour ${esc(r.hour)} (${esc(r.via)}): ${esc(r.what)}: <span class="muted">${esc(r.reason)}</span></li>`).join('')}</ul>`
      : ''
  }<h3>Recent events</h3><ol class="events">${s.events
    .slice()
    .reverse()
    .map((e) => `<li><span class="muted small">hour ${esc(e.hour)}</span> <span class="kind">${esc(e.kind)}</span> ${esc(e.text)}</li>`)
    .join('')}</ol>`;
}
