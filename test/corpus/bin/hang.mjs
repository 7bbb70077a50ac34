// Prints the start of an answer, starts a child that holds stdout open, then never finishes.
import { spawn } from 'node:child_process';
process.stdout.write('{"ok": tr');
spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: ['ignore', 'inherit', 'inherit'] });
setInterval(() => {}, 1000);
