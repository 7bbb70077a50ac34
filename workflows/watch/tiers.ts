// A slot of the watch: the tiers due at a watch hour run their checks in parallel (one activity), the
// results are recorded in one go (opening or telling incidents), automatic levers are pulled, the daily
// report is written where a tier asks for it, and the checkpoints of that hour open. Written as a chain
// of `then`s rather than async functions: every promise in workflow code costs the SDK a stack capture,
// and a slot is most of a watch's workflow tasks.
import { checksOf, hourLabel, tiersDueAt } from '../../core/schedule';
import { recordTierRun } from '../../core/state';
import type { CheckResult } from '../../core/messages';
import { openDue, refreshPhase } from './checkpoints';
import { runChecks } from './checks';
import { afterCheck } from './incidents';
import { pullAutomatic } from './levers';
import { writeDailyReport } from './reports';
import type { WatchRun } from './run';
import { setDetails } from './publish';
import { countCheck, countTierRun } from '../metrics';

/** Runs the slot; a tier run it begins is in flight until it calls `w.runOver` with what it still does. */
export function runSlot(w: WatchRun, hour: number): void {
  const { plan, state } = w;
  const tiers = tiersDueAt(plan, hour, state.schedule);
  const late = Date.now() - w.dueAt(hour) > w.hourMs / 10;
  if (tiers.length === 0) {
    openDue(w, hour);
    refreshPhase(w);
    return;
  }
  const label = `${tiers.join('+')} check ${hourLabel(hour, state.schedule)}`;
  setDetails(w, `running ${tiers.join(' + ')} checks, hour ${hourLabel(hour, state.schedule)}`);
  w.runBegun();
  void runChecks(w, checksOf(plan, tiers), hour, tiers, label, (results) => w.runOver(recorded(w, hour, tiers, results, late)));
}

/** The slot's results in: all recorded in one go, their incidents started together, then the report. */
function recorded(w: WatchRun, hour: number, tiers: string[], results: CheckResult[], late: boolean): Promise<unknown> | undefined {
  const { plan, state } = w;
  for (const r of results) countCheck(r.outcome);
  const opening = results.flatMap((r) => afterCheck(w, r));
  const rest = (): Promise<void> | undefined => {
    pullAutomatic(w);
    for (const tier of tiers) {
      const outcome = recordTierRun(state, plan, tier, hour, results, late);
      countTierRun(tier, outcome);
      w.audit('tier', `${tier} run ${hourLabel(hour, state.schedule)}: ${outcome}`, hour);
    }
    const finish = () => {
      openDue(w, hour);
      refreshPhase(w);
    };
    if (tiers.some((t) => plan.tiers[t].report)) return writeDailyReport(w, hour).then(finish);
    finish();
    return undefined;
  };
  return opening.length ? Promise.all(opening).then(rest) : rest();
}
