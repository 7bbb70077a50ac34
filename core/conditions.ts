// The condition language (placeholder stub: being implemented).
export type ProbeKind = 'http' | 'command' | 'log';
export function conditionError(_expr: string, _kind: ProbeKind): string | undefined {
  return undefined;
}
