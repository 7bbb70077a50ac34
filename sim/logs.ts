// The two log files of the service: logs/triggers.log (text, one JSON object a line) and
// logs/overrides.jsonl. Writes are synchronous so a line is on disk before the answer goes out.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { jsonText } from './json';

export class LogWriter {
  readonly triggersPath: string;
  readonly overridesPath: string;

  constructor(dir: string) {
    const logs = path.join(dir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    this.triggersPath = path.join(logs, 'triggers.log');
    this.overridesPath = path.join(logs, 'overrides.jsonl');
    fs.appendFileSync(this.triggersPath, '');
    fs.appendFileSync(this.overridesPath, '');
  }

  trigger(event: string, fields: Record<string, unknown> = {}): void {
    fs.appendFileSync(this.triggersPath, line(event, fields));
  }

  override(fields: Record<string, unknown>): void {
    fs.appendFileSync(this.overridesPath, line('override', fields));
  }
}

function line(event: string, fields: Record<string, unknown>): string {
  return jsonText({ ts: new Date().toISOString(), event, ...fields }) + '\n';
}
