// Following a watch live (`status --follow`, `start --wait`): its new audit events as they happen and a
// line of where it stands, until it ends. It reads the watch's status only when its history has grown
// (the server says so without a worker), so following costs the watch next to nothing.
import type { Client } from '@temporalio/client';
import type { WatchStatus } from '../core/status';
import { watchHandle, watchStatusOf } from './watches';

export interface FollowOptions {
  everyMs: number;
  /** Each new audit event, and each change of phase or health. */
  say: (line: string) => void;
  signal?: AbortSignal;
}

export const ENDED_PHASES = ['released', 'rollback-requested', 'rolled-back', 'completed'];

/** Follows until the watch ends (its final status) or the signal aborts (the last status seen). */
export async function followWatch(client: Client, id: string, o: FollowOptions): Promise<WatchStatus> {
  const seen = new Set<string>();
  let lastLength = -1;
  let last: WatchStatus | undefined;
  let lastLine = '';
  for (;;) {
    const described = await watchHandle(client, id).describe();
    const closed = described.status.name !== 'RUNNING';
    if (described.historyLength !== lastLength || closed) {
      lastLength = described.historyLength;
      last = await watchStatusOf(client, id, 50);
      for (const e of last.events) {
        const key = `${e.at}:${e.kind}:${e.text}`;
        if (seen.has(key)) continue;
        seen.add(key);
        o.say(`h${String(e.hour).padEnd(5)} ${e.kind.padEnd(12)} ${e.text}`);
      }
      const line = `${last.phase} · ${last.health} · hour ${last.hour}/${last.endHour} · incidents ${last.openIncidents} open`;
      if (line !== lastLine) o.say((lastLine = line));
    }
    if (closed || o.signal?.aborted) return last!;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, o.everyMs);
      o.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
