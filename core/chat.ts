// What a chat button or a PagerDuty incident names, as plain data: the value a Slack button carries (the
// watch, the kind of answer and its target; nothing secret) and the watch and incident a PagerDuty dedup
// key (the incident's workflow ID) stands for. Shared by the Slack sink that writes buttons and the
// `serve` routes that read clicks and webhooks back.
export type SlackAction =
  | { kind: 'ack'; watchId: string; incident: number }
  | { kind: 'resolve'; watchId: string; incident: number }
  | { kind: 'decide'; watchId: string; checkpoint: string; decision: string }
  | { kind: 'approve'; watchId: string; request: number };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const WATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,199}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** The value of a button for `action` (at most 2000 characters, Slack's limit). */
export function buttonValue(action: SlackAction): string {
  return JSON.stringify(action);
}

export function parseButtonValue(value: unknown): SlackAction | string {
  if (typeof value !== 'string') return 'the button has no value';
  let v: unknown;
  try {
    v = JSON.parse(value);
  } catch {
    return 'the button value is not JSON';
  }
  if (!isObject(v)) return 'the button value is not an object';
  if (typeof v.watchId !== 'string' || !WATCH_ID.test(v.watchId)) return 'the button value has no valid watchId';
  const watchId = v.watchId;
  const seq = (n: unknown) => (Number.isInteger(n) && (n as number) > 0 && (n as number) < 1e6 ? (n as number) : undefined);
  switch (v.kind) {
    case 'ack':
    case 'resolve': {
      const incident = seq(v.incident);
      return incident === undefined ? `the ${v.kind} button names no incident number` : { kind: v.kind, watchId, incident };
    }
    case 'decide':
      if (typeof v.checkpoint !== 'string' || !NAME.test(v.checkpoint)) return 'the decide button names no checkpoint';
      if (typeof v.decision !== 'string' || !NAME.test(v.decision)) return 'the decide button names no decision';
      return { kind: 'decide', watchId, checkpoint: v.checkpoint, decision: v.decision };
    case 'approve': {
      const request = seq(v.request);
      return request === undefined ? 'the approve button names no request number' : { kind: 'approve', watchId, request };
    }
    default:
      return `unknown button kind ${JSON.stringify(v.kind)} (ack, resolve, decide or approve)`;
  }
}

/** The watch and incident a dedup key names: `<watch ID>/incident-<n>`. */
export function incidentOfDedupKey(key: string): { watchId: string; incidentId: string; seq: number } | undefined {
  const m = /^(.+)\/incident-(\d{1,6})$/.exec(key);
  return m ? { watchId: m[1], incidentId: key, seq: Number(m[2]) } : undefined;
}
