// Where the project's own files are (plans, the simulator's tools, .tools/), whether the code runs from
// TypeScript or compiled into dist/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** The folder holding package.json above this module. */
export function projectRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'plans'))) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`cannot find the release-watch folder above ${__dirname}`);
  }
}
