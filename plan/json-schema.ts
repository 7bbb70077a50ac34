// The plan's JSON Schema, generated from the zod schema: editors (the YAML language server's `$schema`
// line) complete and check plans as they are written. `release-watch schema` prints it; the committed
// plan.schema.json is kept in sync by a test.
import { z } from 'zod';
import { PlanSchema } from './schema';

type Json = Record<string, unknown>;

/**
 * A copy with no `required` anywhere: a plan that `extends` another may leave anything to its base. Its
 * `oneOf`s become `anyOf`s, since without their discriminator a part may fit several branches.
 */
function partial(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(partial);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema as Json)
      .filter(([k]) => k !== 'required')
      .map(([k, v]) => [k === 'oneOf' ? 'anyOf' : k, partial(v)]),
  );
}

export function planJsonSchema(): Json {
  const full = z.toJSONSchema(PlanSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  const { $schema, properties, ...rest } = full;
  const props = {
    $schema: { type: 'string', description: "This plan's JSON Schema (for editors); ignored by release-watch" },
    extends: {
      type: 'string',
      description: 'Another plan (a path relative to this one) whose fields this plan starts from: objects merge, lists replace',
    },
    ...(properties as Json),
  };
  const own = { ...rest, properties: props };
  return {
    $schema,
    $id: 'https://release-watch.dev/plan.schema.json',
    title: 'release-watch plan',
    description:
      "A release-watch plan: what to check after a deploy, who is on call, the checkpoints and levers. See the README's plan reference.",
    if: { type: 'object', required: ['extends'] },
    then: partial(own),
    else: own,
  };
}

export function planJsonSchemaText(): string {
  return JSON.stringify(planJsonSchema(), null, 2) + '\n';
}
