// Lint in the spirit of the Temporal TypeScript samples: typed linting, no floating promises,
// and workflow code kept to what the deterministic sandbox can run.
import { builtinModules } from 'node:module';
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

const SANDBOX =
  'Workflow code and the core domain run in the deterministic sandbox: no Node built-ins, no activity code and no ' +
  'plan-loading code (zod, probes, sinks) here (call activities through proxyActivities; `import type` is fine).';

// Every Node built-in, bare and with the node: prefix (fs, fs/promises, child_process, http, crypto, timers, worker_threads ...).
const nodeBuiltins = [...new Set(builtinModules.filter((m) => !m.startsWith('_')).map((m) => m.replace(/^node:/, '')))];

// Plain-JS files (jest config, the simulator's command-line fronts) run on Node.
const nodeGlobals = Object.fromEntries(
  [
    'AbortController',
    'Buffer',
    'URL',
    'URLSearchParams',
    'TextDecoder',
    'TextEncoder',
    'clearInterval',
    'clearTimeout',
    'console',
    'fetch',
    'process',
    'setInterval',
    'setTimeout',
    'structuredClone',
  ]
    .map((name) => [name, 'readonly'])
    .concat([
      ['require', 'readonly'],
      ['module', 'writable'],
      ['exports', 'writable'],
      ['__dirname', 'readonly'],
      ['__filename', 'readonly'],
    ]),
);

export default tseslint.config(
  {
    ignores: ['node_modules/**', '.tools/**', 'dist/**', 'reports/**', '.data/**', 'coverage/**', '.scratch/**', 'wasm/**'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        project: './tsconfig.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': [
        'warn',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      'object-shorthand': ['error', 'always'],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: nodeGlobals },
    rules: {
      ...tseslint.configs.disableTypeChecked.rules,
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    // The workflows and the deterministic domain they run (core/): nothing from Node, no activity code,
    // and no plan-loading code (zod, probes, sinks) in the workflow bundle; types are fine.
    files: ['workflows/**/*.ts', 'core/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: SANDBOX, allowTypeImports: true })),
            { name: 'zod', message: SANDBOX, allowTypeImports: true },
          ],
          patterns: [
            { group: ['node:*'], message: SANDBOX, allowTypeImports: true },
            { group: ['**/activities', '**/activities/**'], message: SANDBOX, allowTypeImports: true },
            {
              group: ['**/plan/schema', '**/plan/validate', '**/plan/fields', '**/probes', '**/probes/**', '**/sinks', '**/sinks/**'],
              message: SANDBOX,
              allowTypeImports: true,
            },
            { group: ['**/client/**', '**/worker/**', '**/report/**', '**/config/**'], message: SANDBOX, allowTypeImports: true },
          ],
        },
      ],
    },
  },
  {
    // A worker runs workflows and activities; it does not need the command line.
    files: ['worker/**/*.ts', 'activities/**/*.ts', 'probes/**/*.ts', 'sinks/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/client/**'], message: 'The worker and what it runs do not import client code.', allowTypeImports: true },
          ],
        },
      ],
    },
  },
);
