// A slot of the watch: the tiers due at a watch hour run their checks in parallel (one activity), the results are
// recorded in one go (opening or telling incidents), automatic levers are pulled, the daily report is
// written where a tier asks for it, and the checkpoints of that hour open.
import { checksOf, hourLabel, tiersDueAt } from '../../core/schedule';
import { recordTierRun } from '../../core/state';
import { openDue, refreshPhase } from './checkpoints';
import { runChecks } from './checks';
import { afterCheck } from './incidents';
import { pullAutomatic } from './levers';
import { writeDailyReport } from './reports';
import type { WatchRun } from './run';
import { setDetails } from './publish';

export async function runSlot(w: WatchRun, hour: number): Promise<void> {
  const { plan, state } = w;
  const tiers = tiersDueAt(plan, hour, state.schedule);
  const late = Date.now() - w.dueAt(hour) > w.hourMs / 10;
  if (tiers.length > 0) {
    const label = `${tiers.join('+')} check ${hourLabel(hour, state.schedule)}`;
    setDetails(w, `running ${tiers.join(' + ')} checks, hour ${hourLabel(hour, state.schedule)}`);
    const results = await runChecks(w, checksOf(plan, tiers), hour, tiers, label);
    // All results are recorded in one go and their incidents start together: fewer promises per run,
    // which is most of a watch task's CPU.
    const opening = results.flatMap((r) => afterCheck(w, r));
    if (opening.length) await Promise.all(opening);
    pullAutomatic(w);
    for (const tier of tiers) {
      const outcome = recordTierRun(state, plan, tier, hour, results, late);
      w.audit('tier', `${tier} run ${hourLabel(hour, state.schedule)}: ${outcome}`, hour);
    }
    if (tiers.some((t) => plan.tiers[t].report)) await writeDailyReport(w, hour);
  }
  openDue(w, hour);
  refreshPhase(w);
}
