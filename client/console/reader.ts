// One shared reader per watch, whatever the number of browsers that follow it. Each tick describes the
// watch (the Temporal server answers, no worker); the status query is sent only when the watch's
// history has grown since the last read and a worker polls its task queue. Otherwise the last status is
// shown as stale beside the current search attributes. After a query that fails, none is sent for
// RETRY_MS: a query left waiting for a worker is what the known SDK bug feeds on (docs/sdk-query-bug.md).
import type { WatchStatus } from '../../core/status';
import type { Plan } from '../../plan/schema';
import type { WatchRow } from '../list';
import { listQuery } from '../list';
import { nextActions, offers, planSummary, tierGrid, type NextAction, type Offers, type PlanSummary, type TierRow } from './offers';
import type { Described, Filter, WatchSource } from './source';

export interface WatchView {
  watchId: string;
  /** RUNNING, COMPLETED, … and the run and history length the view was read at. */
  execution?: Omit<Described, 'attributes'>;
  /** The search attributes: current even when the status is stale. */
  attributes: Described['attributes'];
  status?: WatchStatus;
  /** When the status was read, and at which history length. */
  statusAt?: string;
  statusHistoryLength?: number;
  /** Why the status shown may be behind the watch. */
  stale?: string;
  /** The watch could not be read at all (not found, Temporal unreachable). */
  error?: string;
  plan?: PlanSummary;
  offers?: Offers;
  grid?: TierRow[];
  next?: NextAction[];
  webUi: string;
}

export interface ReaderOptions {
  source: WatchSource;
  link: (id: string) => string;
  /** A plan by name when the watch's own input cannot be read (the plans folder). */
  planByName?: (name: string) => Plan | undefined;
  now?: () => number;
}

/** After a failed status query, the next waits this long. */
export const RETRY_MS = 30_000;

type Listener = (view: WatchView) => void;

export class WatchReader {
  private view: WatchView;
  private published = '';
  private readAt = 0;
  private inflight?: Promise<WatchView>;
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Map<Listener, number>();
  private plan?: { runId: string; plan?: Plan };
  private read?: { runId: string; length: number };
  private failed?: { runId: string; length: number; at: number };
  private closed = false;
  lastUsed: number;

  constructor(
    readonly id: string,
    private readonly o: ReaderOptions,
  ) {
    this.view = { watchId: id, attributes: {}, webUi: o.link(id) };
    this.lastUsed = this.now();
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** The plan of the watch's current run, as last read (or the plans folder's plan of its name). */
  get planned(): Plan | undefined {
    return this.plan?.plan ?? (this.view.status ? this.o.planByName?.(this.view.status.plan) : undefined);
  }

  /** The last view read, without reading. */
  get last(): WatchView | undefined {
    return this.readAt ? this.view : undefined;
  }

  /** Calls `fn` with the view now (when one was read) and whenever it changes; ticks every `everyMs` while anyone listens. */
  subscribe(fn: Listener, everyMs: number): () => void {
    this.listeners.set(fn, everyMs);
    this.lastUsed = this.now();
    if (this.readAt) fn(this.view);
    this.schedule(0);
    return () => {
      this.listeners.delete(fn);
      this.lastUsed = this.now();
      if (!this.listeners.size && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** The view, read anew when older than `maxAgeMs` (callers at the same moment share one read). */
  async current(maxAgeMs: number): Promise<WatchView> {
    this.lastUsed = this.now();
    if (this.readAt && this.now() - this.readAt <= maxAgeMs) return this.view;
    return this.tick();
  }

  /** Read now (after an answer was accepted: the history has grown). */
  poke(): void {
    this.schedule(0);
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.listeners.clear();
  }

  private schedule(ms: number): void {
    if (this.closed || !this.listeners.size) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.tick().finally(() => this.schedule(Math.min(...this.listeners.values())));
    }, ms);
  }

  tick(): Promise<WatchView> {
    this.inflight ??= this.readOnce().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async readOnce(): Promise<WatchView> {
    const { source } = this.o;
    const view: WatchView = { ...this.view };
    try {
      const d = await source.describe(this.id);
      const { attributes, ...execution } = d;
      view.execution = execution;
      view.attributes = attributes;
      view.error = undefined;
      if (this.plan?.runId !== d.runId) {
        const plan = await source.plan(this.id, d.runId).catch(() => undefined);
        this.plan = { runId: d.runId, plan };
      }
      const grown = !this.read || this.read.runId !== d.runId || this.read.length !== d.historyLength;
      if (grown) await this.readStatus(d, view);
    } catch (err) {
      view.error = (err as Error).message;
    }
    const plan = this.plan?.plan ?? (view.status ? this.o.planByName?.(view.status.plan) : undefined);
    if (plan) {
      view.plan = planSummary(plan);
      if (view.status) {
        view.offers = offers(plan, view.status);
        view.grid = tierGrid(plan, view.status);
        view.next = nextActions(plan, view.status);
      }
    }
    this.view = view;
    this.readAt = this.now();
    const text = JSON.stringify(view);
    if (text !== this.published) {
      this.published = text;
      for (const fn of this.listeners.keys()) fn(view);
    }
    return view;
  }

  private async readStatus(d: Described, view: WatchView): Promise<void> {
    const at = { runId: d.runId, length: d.historyLength };
    const since = view.statusAt ? `the status shown was read at ${view.statusAt}` : 'no status has been read yet';
    if (d.status === 'RUNNING') {
      const polling = await this.o.source.pollers(d.taskQueue);
      if (!polling) {
        view.stale = `no worker polls task queue "${d.taskQueue}": ${since}; the search attributes are current`;
        return;
      }
      // After a failed query (no worker answered), none for a while, even as the history grows.
      if (this.failed && this.now() - this.failed.at < RETRY_MS) return;
    } else if (d.status !== 'COMPLETED') {
      // Terminated, failed, timed out: no worker answers for it and it returned no status.
      view.stale = `the watch ${d.status.toLowerCase().replace(/_/g, ' ')}: ${since}`;
      this.read = at;
      return;
    }
    try {
      view.status = await this.o.source.status(this.id);
      view.statusAt = new Date(this.now()).toISOString();
      view.statusHistoryLength = d.historyLength;
      view.stale = undefined;
      this.read = at;
      this.failed = undefined;
    } catch (err) {
      this.failed = { ...at, at: this.now() };
      view.stale = `${(err as Error).message}; ${since}`;
    }
  }
}

export interface BoardRow extends WatchRow {
  next?: NextAction[];
  stale?: string;
}

export interface BoardView {
  filter: Filter;
  rows: BoardRow[];
  error?: string;
}

/** The watches of one filter, listed from their search attributes, with who must act next from their shared readers. */
export class BoardReader {
  private rows: WatchRow[] = [];
  private error?: string;
  private published = '';
  private timer?: NodeJS.Timeout;
  private readonly listeners = new Set<(v: BoardView) => void>();
  private readonly followed = new Map<string, () => void>();
  private publishing = false;
  private listed = false;

  constructor(
    readonly filter: Filter,
    private readonly readers: Readers,
    private readonly everyMs: number,
  ) {
    listQuery(filter); // a bad filter value throws here, before anything is read
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  subscribe(fn: (v: BoardView) => void): () => void {
    this.listeners.add(fn);
    if (this.listed) fn(this.view());
    if (this.listeners.size === 1) void this.loop();
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size) return;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      for (const stop of this.followed.values()) stop();
      this.followed.clear();
    };
  }

  async list(): Promise<BoardView> {
    try {
      this.rows = await this.readers.source.list(this.filter);
      this.error = undefined;
    } catch (err) {
      this.error = (err as Error).message;
    }
    this.listed = true;
    return this.view();
  }

  private async loop(): Promise<void> {
    if (!this.listeners.size) return;
    await this.list();
    if (!this.listeners.size) return;
    // Who must act comes from the running watches' own readers (shared with their pages).
    const running = new Set(this.rows.filter((r) => r.status === 'RUNNING').map((r) => r.workflowId));
    for (const [id, stop] of this.followed) {
      if (running.has(id)) continue;
      stop();
      this.followed.delete(id);
    }
    for (const id of running)
      if (!this.followed.has(id))
        this.followed.set(
          id,
          this.readers.get(id).subscribe(() => this.soon(), this.everyMs),
        );
    this.publish();
    this.timer = setTimeout(() => void this.loop(), this.everyMs);
  }

  private soon(): void {
    if (this.publishing) return;
    this.publishing = true;
    setImmediate(() => {
      this.publishing = false;
      this.publish();
    });
  }

  private publish(): void {
    const view = this.view();
    const text = JSON.stringify(view);
    if (text === this.published) return;
    this.published = text;
    for (const fn of this.listeners) fn(view);
  }

  view(): BoardView {
    return {
      filter: this.filter,
      ...(this.error ? { error: this.error } : {}),
      rows: this.rows.map((r) => {
        const v = this.readers.peek(r.workflowId);
        return v ? { ...r, next: v.next, stale: v.stale } : r;
      }),
    };
  }
}

/** The readers of every watch and board the console has open; idle ones are dropped. */
export class Readers {
  private readonly watches = new Map<string, WatchReader>();
  private readonly boards = new Map<string, BoardReader>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly o: ReaderOptions & { boardEveryMs: number; idleMs?: number }) {
    this.sweeper = setInterval(() => this.sweep(), 30_000);
    this.sweeper.unref();
  }

  get source(): WatchSource {
    return this.o.source;
  }

  get(id: string): WatchReader {
    let r = this.watches.get(id);
    if (!r) {
      r = new WatchReader(id, this.o);
      this.watches.set(id, r);
    }
    return r;
  }

  /** The last view of a watch, when its reader has read one (no read is started). */
  peek(id: string): WatchView | undefined {
    return this.watches.get(id)?.last;
  }

  board(filter: Filter): BoardReader {
    const key = JSON.stringify([filter.service ?? '', filter.release ?? '', filter.phase ?? '']);
    let b = this.boards.get(key);
    if (!b) {
      b = new BoardReader(filter, this, this.o.boardEveryMs);
      this.boards.set(key, b);
    }
    return b;
  }

  private sweep(): void {
    const idle = this.o.idleMs ?? 60_000;
    const now = (this.o.now ?? Date.now)();
    for (const [id, r] of this.watches)
      if (!r.subscribers && now - r.lastUsed > idle) {
        r.close();
        this.watches.delete(id);
      }
    for (const [key, b] of this.boards) if (!b.subscribers) this.boards.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
    for (const r of this.watches.values()) r.close();
    this.watches.clear();
    this.boards.clear();
  }
}
