// A JSON-lines file on the worker's machine; an event already in the file is not written again.
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { SinkKind } from './types';

export const FileSink = z.strictObject({ kind: z.literal('file'), path: z.string().min(1) });

export const fileSink: SinkKind<z.output<typeof FileSink>> = {
  kind: 'file',
  schema: FileSink,
  name: (s) => `file:${s.path}`,
  async deliver(spec, n, ctx) {
    const path = ctx.text(spec.path);
    const existing = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return '';
      throw e;
    });
    if (existing.includes(`"eventId":${JSON.stringify(n.eventId)}`)) return 'delivered';
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, JSON.stringify(n) + '\n');
    return 'delivered';
  },
};
