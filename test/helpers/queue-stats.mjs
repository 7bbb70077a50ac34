// A stand-in for a queue's stats command: prints the state file the test writes, as the plan's
// `queue_stats` command would print a real queue's: {"depth": N, "oldestSeconds": S, "consumers": C}.
import { readFileSync } from 'node:fs';

process.stdout.write(readFileSync(process.argv[2], 'utf8'));
