#!/usr/bin/env node
// Stand-in for `git revert -m 1 <merge-commit>` in the demo: checks the arguments, reverts nothing.
const [cmd, ...rest] = process.argv.slice(2);
const commit = rest[rest.length - 1];
if (cmd !== 'revert' || !/^[0-9a-f]{7,40}$/.test(commit ?? '')) {
  process.stderr.write('usage: git revert [--no-edit] -m 1 <commit>\n');
  process.exit(2);
}
process.stdout.write(`[simulated] Revert of merge ${commit} committed\n`);
