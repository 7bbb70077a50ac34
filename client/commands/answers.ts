// Answers to a watch: checkpoint decisions, incident acknowledgements and resolutions, emergency levers and
// their approvals. Each is the same validated (and, where the plan says so, signed) update as every other
// client sends; a refusal exits 2 with the watch's reason.
import { Command, Option } from 'commander';
import { DECISIONS, type DecisionName } from '../../plan/decisions';
import { connect, KEY_OPTION_HELP, keys, print, watches } from './common';

export function registerAnswers(program: Command): void {
  program
    .command('decide')
    .description('Answer a go/no-go checkpoint; the watch checks the decision before accepting it')
    .argument('<id>', 'watch (workflow) ID')
    .requiredOption('--checkpoint <name>', 'checkpoint name, e.g. 12h')
    .addOption(new Option('--decision <decision>', 'the decision').choices([...DECISIONS]).makeOptionMandatory())
    .requiredOption('--by <who>', 'who decides (a person of the plan)')
    .option('--note <text>', 'why; required for some decisions (e.g. lessons learned at 48h)')
    .option('--key <file>', KEY_OPTION_HELP)
    .option('--signal', 'send as a signal (does not wait for a worker; a refusal is recorded in the watch, not returned)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch decide watch-symphony-v1.0 --checkpoint 12h --decision continue --by release-captain\n  release-watch decide watch-symphony-v1.0 --checkpoint 48h --decision release --by release-captain --note "Lessons: ..."',
    )
    .action(
      async (
        id: string,
        o: { checkpoint: string; decision: DecisionName; by: string; note?: string; key?: string; signal?: boolean; json?: boolean },
      ) => {
        const d = (await keys()).signIfKeyed(
          id,
          'decide',
          { checkpoint: o.checkpoint, decision: o.decision, by: o.by, note: o.note },
          { keyFile: o.key },
        );
        const client = await connect();
        const { decide, decideBySignal } = await watches();
        if (o.signal) {
          await decideBySignal(client, id, d);
          print(!!o.json, { sent: true }, () => `sent; see \`release-watch status ${id}\` for whether it was accepted`);
          return;
        }
        const cp = await decide(client, id, d);
        print(!!o.json, cp, () => `checkpoint ${cp.name}: ${cp.decision} by ${cp.by} at hour ${cp.decidedHour}`);
      },
    );

  program
    .command('ack')
    .description('Acknowledge an incident: stops its escalation; resolve it before the resolution deadline')
    .argument('<id>', 'watch (workflow) ID')
    .argument('<incident>', 'incident number (as in status) or its ID')
    .requiredOption('--by <who>', 'who takes it (a person of the plan)')
    .option('--key <file>', KEY_OPTION_HELP)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch ack watch-symphony-v1.0 3 --by duty-engineer')
    .action(async (id: string, incident: string, o: { by: string; key?: string; json?: boolean }) => {
      const signed = (await keys()).signIfKeyed(id, 'ack', { incident, by: o.by }, { keyFile: o.key });
      const v = await (await watches()).acknowledge(await connect(), id, signed);
      print(!!o.json, v, () => `incident ${v.seq}: ${v.state}, held by ${v.holder}`);
    });

  program
    .command('resolve')
    .description('Resolve an incident with its write-up; the incident document is written under reports/<watch>/incidents/')
    .argument('<id>', 'watch (workflow) ID')
    .argument('<incident>', 'incident number (as in status) or its ID')
    .requiredOption('--by <who>', 'who resolves it (a person of the plan)')
    .requiredOption('--root-cause <text>', 'what actually happened')
    .requiredOption('--resolution <text>', 'steps taken to fix it')
    .option('--follow-up <text>', 'actions to prevent recurrence')
    .option('--key <file>', KEY_OPTION_HELP)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch resolve watch-symphony-v1.0 3 --by duty-engineer --root-cause "ollama OOM" --resolution "restarted with ai-up" --follow-up "raise memory limit"',
    )
    .action(
      async (
        id: string,
        incident: string,
        o: { by: string; rootCause: string; resolution: string; followUp?: string; key?: string; json?: boolean },
      ) => {
        const r = { incident, by: o.by, rootCause: o.rootCause, resolution: o.resolution, followUp: o.followUp };
        const signed = (await keys()).signIfKeyed(id, 'resolve', r, { keyFile: o.key });
        const v = await (await watches()).resolveIncident(await connect(), id, signed);
        print(!!o.json, v, () => `incident ${v.seq}: ${v.state} by ${v.holder}`);
      },
    );

  program
    .command('emergency')
    .description(
      'Pull an emergency lever (kill-switch, conservative-mode, restart-services, rollback); some need a second person to approve',
    )
    .argument('<id>', 'watch (workflow) ID')
    .requiredOption('--lever <lever>', 'kill-switch | conservative-mode | restart-services | rollback')
    .requiredOption('--by <who>', 'who asks (a person of the plan)')
    .requiredOption('--reason <text>', 'why')
    .option('--key <file>', KEY_OPTION_HELP)
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  release-watch emergency watch-symphony-v1.0 --lever conservative-mode --by duty-engineer --reason "unstable routing"\n  release-watch emergency watch-symphony-v1.0 --lever kill-switch --by policy-steward --reason "compromised key"',
    )
    .action(async (id: string, o: { lever: string; by: string; reason: string; key?: string; json?: boolean }) => {
      const e = (await keys()).signIfKeyed(id, 'emergency', { lever: o.lever, by: o.by, reason: o.reason }, { keyFile: o.key });
      const r = await (await watches()).emergency(await connect(), id, e);
      print(!!o.json, r, () =>
        r.state === 'awaiting-approval'
          ? `request ${r.seq}: ${r.lever} awaits approval; a second person runs: release-watch approve ${id} ${r.seq} --by <approver>`
          : `request ${r.seq}: ${r.lever} ${r.state}`,
      );
    });

  program
    .command('approve')
    .description('Approve a lever request as the second person; the lever runs at once')
    .argument('<id>', 'watch (workflow) ID')
    .argument('<request>', 'lever request number (as in status)')
    .requiredOption('--by <who>', 'the approver (not the person who asked)')
    .option('--key <file>', KEY_OPTION_HELP)
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  release-watch approve watch-symphony-v1.0 2 --by release-captain')
    .action(async (id: string, request: string, o: { by: string; key?: string; json?: boolean }) => {
      const signed = (await keys()).signIfKeyed(id, 'approve', { request, by: o.by }, { keyFile: o.key });
      const r = await (await watches()).approveLever(await connect(), id, signed);
      print(!!o.json, r, () => `request ${r.seq}: ${r.lever} approved by ${r.approvedBy}, ${r.state}`);
    });
}
