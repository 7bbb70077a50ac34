// The "simple report" (tools/simple_report.sh): a markdown file under <dir>/reports/.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsonText } from './json';

const NAME = /^simple-report-(\d+)\.md$/;

/** The highest report number already in <dir>/reports, so a new simulator does not overwrite. */
export function lastReportNumber(dir: string): number {
  let names: string[] = [];
  try {
    names = fs.readdirSync(path.join(dir, 'reports'));
  } catch {
    return 0;
  }
  return names.reduce((max, n) => Math.max(max, Number(NAME.exec(n)?.[1] ?? 0)), 0);
}

export interface ReportFacts {
  n: number;
  at: string;
  status: unknown;
  policy: unknown;
  budget: unknown;
  requests: Record<string, number>;
}

export function renderReport(f: ReportFacts): string {
  const requests = Object.entries(f.requests)
    .map(([k, v]) => `- ${k}: ${v}`)
    .join('\n');
  return `# Symphony Orchestra simple report ${f.n}

Generated: ${f.at}

## Status
\`${jsonText(f.status)}\`

## Policy
\`${jsonText(f.policy)}\`

## Budget
\`${jsonText(f.budget)}\`

## Requests
${requests || '- none'}
`;
}

/** Writes the report and returns its path relative to dir, e.g. reports/simple-report-1.md. */
export function writeReport(dir: string, facts: ReportFacts): string {
  const rel = `reports/simple-report-${facts.n}.md`;
  fs.mkdirSync(path.join(dir, 'reports'), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), renderReport(facts));
  return rel;
}
