// Where in the YAML a plan error points: file, line and column of the deepest part of its path that the
// text has (the field itself, or the map it is missing from). A plan that extends another is searched
// first, then the plans it extends.
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';

export interface Source {
  file: string;
  doc: Document;
  lines: LineCounter;
}

/** `checks.fast-pulse.conditions[0]` → ['checks', 'fast-pulse', 'conditions', 0]. */
export function parsePath(path: string): Array<string | number> {
  return [...path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)].map((m) => (m[1] !== undefined ? Number(m[1]) : m[2]));
}

/** The position of `path` (and, for an unknown field, of that field's key) in the first source that has most of it. */
export function locate(sources: readonly Source[], path: string, key?: string): { file: string; line: number; column: number } | undefined {
  const parts: Array<string | number> = [...parsePath(path), ...(key !== undefined ? [key] : [])];
  let best: { file: string; line: number; column: number; depth: number } | undefined;
  for (const source of sources) {
    const found = deepest(source.doc.contents as Node | null, parts);
    if (!found || found.offset === undefined) continue;
    if (!best || found.depth > best.depth) {
      const { line, col } = source.lines.linePos(found.offset);
      best = { file: source.file, line, column: col, depth: found.depth };
    }
    if (found.depth === parts.length) break;
  }
  return best && { file: best.file, line: best.line, column: best.column };
}

function deepest(root: Node | null, parts: ReadonlyArray<string | number>): { depth: number; offset?: number } | undefined {
  let node: unknown = root;
  let offset = (root as Node | null)?.range?.[0];
  let depth = 0;
  for (const part of parts) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair) break;
      offset = (isScalar(pair.key) ? pair.key.range?.[0] : undefined) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number' && part < node.items.length) {
      node = node.items[part];
      offset = (node as Node | null)?.range?.[0] ?? offset;
    } else break;
    depth++;
  }
  return offset === undefined ? undefined : { depth, offset };
}
