// Slack through an incoming webhook.
import { z } from 'zod';
import type { Notification } from '../core/messages';
import { EnvName } from '../plan/fields';
import { postJson } from './post';
import { slackBlocks } from './slack-blocks';
import type { SinkKind } from './types';

export const SlackSink = z.strictObject({ kind: z.literal('slack'), urlEnv: EnvName });

export function slackMessage(n: Notification): { text: string; blocks: Record<string, unknown>[] } {
  const icon = { critical: ':red_circle:', error: ':large_orange_circle:', warning: ':large_yellow_circle:', info: ':large_blue_circle:' }[
    n.severity
  ];
  const lines = [`${icon} *${n.title}*`, n.text];
  // <@U…> pings the person in Slack; someone without a Slack ID in the plan is named as text.
  if (n.to?.length)
    lines.push(`For: ${n.to.map((p) => (n.slackIds && Object.hasOwn(n.slackIds, p) ? `<@${n.slackIds[p]}>` : `@${p}`)).join(' ')}`);
  if (n.command) lines.push(`Answer with: \`${n.command}\``);
  const text = lines.join('\n');
  return { text, blocks: slackBlocks(n, text) };
}

export const slackSink: SinkKind<z.output<typeof SlackSink>> = {
  kind: 'slack',
  schema: SlackSink,
  name: (s) => `slack:${s.urlEnv}`,
  async deliver(spec, n, ctx) {
    const url = ctx.env[spec.urlEnv];
    if (!url) return 'unconfigured';
    await postJson(url, slackMessage(n), { 'Idempotency-Key': n.eventId }, ctx.signal);
    return 'delivered';
  },
};
