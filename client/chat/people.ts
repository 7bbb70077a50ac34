// Who a Slack user or a PagerDuty user is on the watch's roster: people.<id>.slack / people.<id>.pagerduty.
import type { Plan } from '../../plan/schema';

export type Channel = 'slack' | 'pagerduty';

/** The roster ID of the person whose `channel` account is `account`, or undefined when nobody on the plan has it. */
export function personOf(people: Plan['people'], channel: Channel, account: string): string | undefined {
  for (const [id, person] of Object.entries(people)) if (person[channel] === account) return id;
  return undefined;
}
