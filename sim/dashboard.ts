// The dashboard page: one status card per core service, 🟢 or 🔴.

import type { ActiveFault } from './faults';
import type { CardStatus } from './views';

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderDashboard(cards: { name: string; status: CardStatus }[], faults: ActiveFault[]): string {
  const cardHtml = cards
    .map(
      (c) =>
        `<div class="card ${c.status}" data-card="${escape(c.name)}" data-status="${c.status}">` +
        `${c.status === 'green' ? '🟢' : '🔴'} ${escape(c.name)}</div>`,
    )
    .join('\n    ');
  const faultHtml = faults.length ? `<p class="faults">Injected faults: ${faults.map((f) => escape(f.name)).join(', ')}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta http-equiv="refresh" content="5">
  <title>Symphony Orchestra dashboard (simulator)</title>
  <style>
    body { font-family: sans-serif; margin: 2rem; }
    .cards { display: flex; gap: 1rem; }
    .card { padding: 1rem 1.5rem; border-radius: 8px; font-size: 1.2rem; }
    .green { background: #e6f7e6; } .red { background: #fde2e2; }
  </style>
</head>
<body>
  <h1>🎼 Symphony Orchestra</h1>
  <div class="cards">
    ${cardHtml}
  </div>
  ${faultHtml}
</body>
</html>
`;
}
