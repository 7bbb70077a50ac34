// The worker's standard output: for the demo and for trying a plan.
import { z } from 'zod';
import type { SinkKind } from './types';

export const ConsoleSink = z.strictObject({ kind: z.literal('console') });

export const consoleSink: SinkKind<z.output<typeof ConsoleSink>> = {
  kind: 'console',
  schema: ConsoleSink,
  name: () => 'console',
  async deliver(_spec, n) {
    const text = n.text
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n');
    console.log(
      `[${n.severity}] ${n.title}${n.to?.length ? ` → ${n.to.join(', ')}` : ''}\n${text}${n.command ? `\n  answer: ${n.command}` : ''}`,
    );
    return 'delivered';
  },
};
