// Block Kit for a Slack notification: the text in a section, and the buttons that answer it. Buttons are
// read from what the notification already carries (the incident's dedup key, the answer command), so
// the watch's notifications need nothing Slack-specific. A click comes back to `serve`'s
// POST /slack/interactions (client/chat/routes.ts), whose parser reads the button values written here.
import type { Notification } from '../core/messages';
import { buttonValue, incidentOfDedupKey, type SlackAction } from '../core/chat';

/** The answers a notification offers as buttons: ack and resolve a new incident, one per decision, approve a lever request. */
export function slackActions(n: Notification): SlackAction[] {
  if (n.incident?.action === 'trigger') {
    const inc = incidentOfDedupKey(n.incident.id);
    if (inc && inc.watchId === n.watchId)
      return [
        { kind: 'ack', watchId: n.watchId, incident: inc.seq },
        { kind: 'resolve', watchId: n.watchId, incident: inc.seq },
      ];
  }
  const decide = /^release-watch decide (\S+) --checkpoint (\S+) --decision <([A-Za-z0-9_|-]+)>/.exec(n.command ?? '');
  if (decide && decide[1] === n.watchId && decide[3] !== 'decision')
    return decide[3].split('|').map((decision) => ({ kind: 'decide', watchId: n.watchId, checkpoint: decide[2], decision }));
  const approve = /^release-watch approve (\S+) (\d{1,6}) --by/.exec(n.command ?? '');
  if (approve && approve[1] === n.watchId) return [{ kind: 'approve', watchId: n.watchId, request: Number(approve[2]) }];
  return [];
}

function label(a: SlackAction): string {
  switch (a.kind) {
    case 'ack':
      return 'Acknowledge';
    case 'resolve':
      return 'Resolve';
    case 'decide':
      return a.decision;
    case 'approve':
      return 'Approve';
  }
}

/** The blocks of a message whose plain text is `text`. */
export function slackBlocks(n: Notification, text: string): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [{ type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } }];
  const actions = slackActions(n);
  if (actions.length)
    blocks.push({
      type: 'actions',
      block_id: `rw-${n.eventId}`.slice(0, 255),
      elements: actions.slice(0, 25).map((a, i) => ({
        type: 'button',
        action_id: `rw-${a.kind}-${i}`,
        text: { type: 'plain_text', text: label(a).slice(0, 75) },
        value: buttonValue(a),
        ...(a.kind === 'ack' || a.kind === 'approve' ? { style: 'primary' } : {}),
        ...(a.kind === 'resolve'
          ? {
              confirm: {
                title: { type: 'plain_text', text: 'Resolve the incident?' },
                text: {
                  type: 'mrkdwn',
                  text: 'A form asks for the root cause and resolution (where serve has no Slack bot token, it resolves with a default note).',
                },
                confirm: { type: 'plain_text', text: 'Resolve' },
                deny: { type: 'plain_text', text: 'Cancel' },
              },
            }
          : {}),
      })),
    });
  return blocks;
}
