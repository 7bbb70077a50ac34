// Field types every part of a plan shares (probe kinds and sinks included), kept apart from the plan
// schema so the modules that define parts of it can use them without a circle.
import { z } from 'zod';
import { DURATION } from './duration';

/** "15m", "4h", "1h30m", "500ms": a pattern, so editors check it from the JSON Schema too. */
export const Duration = z
  .string({ error: 'expected a duration such as "15m" or "4h"' })
  .regex(DURATION, { error: (iss) => `not a duration: "${String(iss.input)}" (use e.g. 15m, 4h, 1h30m)` });

export const Id = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'use lower-case letters, digits and dashes' });

/** The name of an environment variable that holds a URL, a key or a secret (never the value itself). */
export const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, { error: 'an environment variable name, e.g. SLACK_WEBHOOK_URL' });
