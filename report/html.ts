// The report as one standalone HTML page: inline CSS, inline SVG charts, no script and nothing
// fetched, so it opens offline, from a mail attachment or a CI artifact. Renders the ReportData
// that core/report.ts builds, with the same sections (and so the same numbers) as the Markdown.
import { formatUnit } from '../core/units';
import { escapeHtml, formatMsLabel, metricSvg, outcomeStripSvg, responseTimeSvg } from './charts';
import { Block, buildReport, Cell, headline, pct, ReportData, ReportMeta, reportSections, Tone } from './report';
import type { WatchStatus } from '../core/status';

export function renderHtml(s: WatchStatus, meta: ReportMeta): string {
  return renderReportHtml(buildReport(s, meta));
}

const CSS = `
:root { --ok: #15803d; --ok-bg: #dcfce7; --warn: #b45309; --warn-bg: #fef3c7; --fail: #b91c1c; --fail-bg: #fee2e2;
  --muted: #6b7280; --line: #e5e7eb; --text: #111827; --bg: #ffffff; --panel: #f9fafb; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 18px; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr)); gap: 10px; margin: 8px 0 8px; }
.card { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.card .v { font-size: 22px; font-weight: 650; }
.card .k { color: var(--muted); font-size: 12px; }
.card.ok { border-left-color: var(--ok); } .card.warn { border-left-color: #f59e0b; } .card.fail { border-left-color: var(--fail); }
figure { margin: 12px 0 20px; padding: 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 6px; }
svg { display: block; max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; white-space: nowrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fcfcfd; }
td.wrap { max-width: 420px; overflow-wrap: anywhere; }
td.nw { white-space: nowrap; }
td:last-child:not(.n):not(.nw) { min-width: 220px; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; font-weight: 600; white-space: nowrap; }
.t-ok { color: var(--ok); } .t-warn { color: var(--warn); } .t-fail { color: var(--fail); } .t-muted { color: var(--muted); }
.badge.t-ok { background: var(--ok-bg); } .badge.t-warn { background: var(--warn-bg); } .badge.t-fail { background: var(--fail-bg); } .badge.t-muted { background: var(--panel); }
blockquote { margin: 6px 0; padding: 6px 12px; border-left: 3px solid var(--line); color: #374151; white-space: pre-wrap; }
ul.criteria { list-style: none; padding-left: 4px; margin: 4px 0; }
ul.criteria li::before { content: "•"; display: inline-block; width: 1.4em; color: var(--muted); }
ul.criteria li.met::before { content: "✔"; color: var(--ok); }
ul.criteria li.unmet::before { content: "✘"; color: var(--fail); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--panel); padding: 0 3px; border-radius: 3px; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; }
@media print { main { max-width: none; padding: 0; } figure, table { break-inside: avoid; } }
`;

export function renderReportHtml(r: ReportData): string {
  const sm = r.summary;
  const cards: Array<[string, string, Tone | undefined]> = [
    [
      'tier pass rate',
      pct(sm.passRate),
      sm.passRate === null ? undefined : sm.passRate === 100 ? 'ok' : sm.passRate >= 90 ? 'warn' : 'fail',
    ],
    ['tier runs', String(sm.tierRuns), undefined],
    ['incidents (open)', `${sm.incidents} (${sm.openIncidents})`, sm.openIncidents > 0 ? 'fail' : sm.incidents > 0 ? 'warn' : 'ok'],
    ['ack SLA compliance', pct(sm.slaCompliance), sm.slaCompliance === null ? undefined : sm.slaCompliance === 100 ? 'ok' : 'fail'],
    ['days over budget', String(sm.daysOverBudget), r.budget ? (sm.daysOverBudget ? 'fail' : 'ok') : undefined],
    ['levers pulled', String(sm.leversPulled), sm.leversPulled ? 'warn' : undefined],
    ['undelivered notifications', String(sm.undelivered), sm.undelivered ? 'fail' : 'ok'],
  ];
  const health: Tone = r.watch.health === 'healthy' ? 'ok' : r.watch.health === 'degraded' ? 'warn' : 'fail';
  const out: string[] = [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="release-watch">`,
    `<title>${escapeHtml(`${r.title}: ${r.watch.service} ${r.watch.version}`)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    '<main>',
    '<header>',
    `<h1>${escapeHtml(r.title)}: ${escapeHtml(r.watch.service)} ${escapeHtml(r.watch.version)}</h1>`,
    `<p class="sub">${badge(r.watch.phase, r.watch.phase === 'rolled-back' || r.watch.phase === 'rollback-requested' ? 'fail' : 'muted')} ${badge(r.watch.health, health)} hour ${escapeHtml(String(r.watch.hour))} of ${escapeHtml(String(r.watch.endHour))}</p>`,
    '<dl class="meta">',
    ...headline(r).map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`),
    '</dl>',
    '</header>',
    '<section id="summary">',
    '<h2>Summary</h2>',
    '<div class="cards">',
    ...cards.map(
      ([k, v, tone]) =>
        `<div class="card${tone ? ` ${tone}` : ''}"><div class="v">${escapeHtml(v)}</div><div class="k">${escapeHtml(k)}</div></div>`,
    ),
    '</div>',
    '</section>',
    '<section id="charts">',
    '<h2>Charts</h2>',
  ];
  const rt = r.charts.responseTime;
  if (rt) {
    const limits =
      rt.passMs !== undefined
        ? `ok under ${formatMsLabel(rt.passMs)}${rt.warnMs !== undefined ? `, warn up to ${formatMsLabel(rt.warnMs)}, fail above` : ', warn above'}`
        : 'no thresholds in the plan';
    out.push(
      '<figure class="response-time">',
      responseTimeSvg(rt),
      `<figcaption>Response time of <code>${escapeHtml(rt.check)}</code> per watch hour (${escapeHtml(limits)}). Points are coloured by the run's outcome; × marks a run without a response time. Hover a point for its value.</figcaption>`,
      '</figure>',
    );
  } else {
    out.push('<p class="t-muted">No check charts [RESPONSE_TIME] in this plan.</p>');
  }
  for (const mc of r.charts.metrics) {
    const bands = [
      mc.pass !== undefined ? `ok ${mc.direction === 'lower' ? 'above' : 'below'} ${formatUnit(mc.pass, mc.unit)}` : '',
      mc.warn !== undefined ? `warn to ${formatUnit(mc.warn, mc.unit)}` : '',
      mc.baseline !== undefined ? `baseline ${formatUnit(mc.baseline, mc.unit)}` : '',
    ].filter(Boolean);
    out.push(
      '<figure class="metric">',
      metricSvg(mc),
      `<figcaption><code>${escapeHtml(mc.metric)}</code> of <code>${escapeHtml(mc.check)}</code> per watch hour${bands.length ? ` (${escapeHtml(bands.join(', '))})` : ''}. Points are coloured by the run's outcome.</figcaption>`,
      '</figure>',
    );
  }
  out.push(
    '<figure class="outcome-strip">',
    outcomeStripSvg(r.charts.outcomes),
    '<figcaption>Outcome of each tier run per watch hour (the worst of its checks). Hover a cell for the checks that were not ok.</figcaption>',
    '</figure>',
    '</section>',
  );
  for (const section of reportSections(r)) {
    out.push(`<section id="${escapeHtml(section.id)}">`, `<h2>${escapeHtml(section.title)}</h2>`);
    for (const b of section.blocks) out.push(htmlBlock(b));
    out.push('</section>');
  }
  out.push(
    `<footer>Report <code>${escapeHtml(r.name)}</code> (${escapeHtml(r.format)}) of watch <code>${escapeHtml(r.watch.id)}</code>, made at watch hour ${escapeHtml(String(r.hour))}. The same numbers are in ${escapeHtml(r.name)}.md and ${escapeHtml(r.name)}.json.</footer>`,
    '</main>',
    '</body>',
    '</html>',
    '',
  );
  return out.join('\n');
}

function badge(text: string, tone?: Tone): string {
  return `<span class="badge${tone ? ` t-${tone}` : ''}">${escapeHtml(text)}</span>`;
}

function htmlBlock(b: Block): string {
  switch (b.kind) {
    case 'p':
      return `<p${b.tone ? ` class="t-${b.tone}"` : ''}>${escapeHtml(b.text)}</p>`;
    case 'h3':
      return `<h3${b.tone ? ` class="t-${b.tone}"` : ''}>${escapeHtml(b.text)}</h3>`;
    case 'quote':
      return `<blockquote>${escapeHtml(b.text)}</blockquote>`;
    case 'list':
      return `<ul class="criteria">${b.items.map((i) => `<li${i.checked === undefined ? '' : ` class="${i.checked ? 'met' : 'unmet'}"`}>${escapeHtml(i.text)}</li>`).join('')}</ul>`;
    case 'table': {
      const head = b.head.map((h, i) => `<th${b.numeric[i] ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
      const rows = b.rows.map((row) => `<tr>${row.map((c, i) => htmlCell(c, b.numeric[i])).join('')}</tr>`).join('\n');
      return `<table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody>\n</table>`;
    }
  }
}

function htmlCell(c: Cell, numeric: boolean): string {
  const cls = numeric ? ' class="n"' : '';
  // Short text (names, checks, states) on one line; long text (reasons, notes) wraps anywhere.
  if (typeof c === 'string')
    return `<td${numeric ? cls : c.length > 60 ? ' class="wrap"' : c.length <= 24 ? ' class="nw"' : ''}>${escapeHtml(c)}</td>`;
  const inner = c.code ? `<code>${escapeHtml(c.text)}</code>` : c.tone ? badge(c.text, c.tone) : escapeHtml(c.text);
  return `<td${cls}>${inner}</td>`;
}
