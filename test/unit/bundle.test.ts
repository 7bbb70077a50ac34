// The modules every workflow on a worker shares (worker/bundle.ts, preloadModules) must be safe to
// share: a module that kept state, or pulled a module that does, would leak one watch into another.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { preloadModules } from '../../worker/bundle';

const valueImports = (source: string) =>
  [...source.matchAll(/^import\s+(?!type\b)(?:[^'";]+\s+from\s+)?['"]([^'"]+)['"]/gm)].map((m) => m[1]);

test.each(preloadModules.map((p) => [p.slice(p.lastIndexOf('/', p.lastIndexOf('/') - 1) + 1), p]))(
  '%s is safe to share between workflows',
  (_name, path) => {
    const source = readFileSync(path, 'utf8');
    // Only other shared modules and pure libraries, never Node; the workflow API only in the workflows.
    const workflowCode = /[\\/]workflows[\\/]/.test(path);
    for (const spec of valueImports(source)) {
      if (spec.startsWith('.'))
        expect([spec, preloadModules]).toEqual([spec, expect.arrayContaining([require.resolve(resolve(dirname(path), spec))])]);
      else expect(spec).toMatch(workflowCode ? /^(@noble\/curves\/|@temporalio\/(workflow|common)$)/ : /^@noble\/curves\//);
    }
    // At load, the workflows only make activity proxies and message definitions, which bind to no workflow.
    const calls = (!workflowCode ? [] : (source.match(/^(export )?const [^=]+= (?!\(|async \().*\(.*$/gm) ?? [])).filter(
      (line) => !/= (proxyActivities<\w+>\(\w+\)|define(Query|Update|Signal|SearchAttributeKey)\b|Object\.values\(SA\))/.test(line),
    );
    expect(calls).toEqual([]);
    // No state at module level: no let or var, no collection built there; the three caches hold only what
    // they derive from a workflow's input (core/ed25519.ts, core/shared-plans.ts and plan/duration.ts say
    // why that is safe).
    const caches: Record<string, string[]> = {
      'core/ed25519.ts': ['const keys = new Map<string, { table: number; bytes: Uint8Array }>();'],
      'core/shared-plans.ts': ['const plans = new Map<string, Plan>();'],
      'plan/duration.ts': ['const parsed = new Map<string, number>();'],
    };
    expect(source.match(/^(export )?(let|var) .*/gm) ?? []).toEqual([]);
    expect(source.match(/^(export )?const \w+(: [^=]+)? = new (Map|Set|WeakMap|Array)\b.*/gm) ?? []).toEqual(
      Object.entries(caches).find(([file]) => path.endsWith(file))?.[1] ?? [],
    );
  },
);

test('the shared set covers what the workflows import from core and plan', () => {
  const workflows = ['watch', 'incident', 'clock', 'definitions'].map((f) =>
    readFileSync(resolve(__dirname, '../../workflows', `${f}.ts`), 'utf8'),
  );
  const used = new Set(
    workflows
      .flatMap(valueImports)
      .filter((s) => /^\.\.\/(core|plan)\//.test(s))
      .map((s) => require.resolve(resolve(__dirname, '../../workflows', s))),
  );
  expect([...used].filter((p) => !preloadModules.includes(p))).toEqual([]);
});
