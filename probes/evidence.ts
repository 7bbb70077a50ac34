// How probes show what they saw: bounded excerpts that read well in an incident and in the Web UI.
import { clip } from '../core/conditions';

/** The first lines of an output, each and all bounded, indented under their heading. */
export function excerpt(text: string, maxLines: number, maxChars: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const shown: string[] = [];
  let size = 0;
  for (const line of lines.slice(0, maxLines)) {
    const entry = `  ${clip(line, 160)}`;
    if (size + entry.length > maxChars) break;
    shown.push(entry);
    size += entry.length + 1;
  }
  if (shown.length < lines.length) shown.push(`  … ${lines.length - shown.length} more lines`);
  return shown.join('\n');
}

/** An argv item as a shell would need it quoted, for showing a command. */
export function quoteArg(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg);
}
