// The failures the watch checklist names, as switchable faults with checked parameters.

export type FaultParams = Record<string, unknown>;

export const FAULT_NAMES = [
  'service-offline',
  'slow',
  'six-word-fail',
  'federation-disabled',
  'peers-offline',
  'autonomy-zero',
  'elevated-loa',
  'routes-denied',
  'cloud-model',
  'overrides',
  'cost-over-budget',
  'kill-switch',
  'federation-errors',
  'log-timeouts',
  'dashboard-red',
  'hang',
  'garbage',
  'profile-drift',
  'security-violation',
] as const;

export type FaultName = (typeof FAULT_NAMES)[number];

export interface ActiveFault {
  name: FaultName;
  params: FaultParams;
  since: string;
}

export class FaultError extends Error {}

export function isFaultName(name: unknown): name is FaultName {
  return typeof name === 'string' && (FAULT_NAMES as readonly string[]).includes(name);
}

function oneOf(p: FaultParams, key: string, allowed: readonly string[], fallback: string): string {
  const v = p[key] ?? fallback;
  if (typeof v !== 'string' || !allowed.includes(v)) {
    throw new FaultError(`${key} must be one of ${allowed.join(', ')}`);
  }
  return v;
}

function num(p: FaultParams, key: string, fallback: number, min: number, max: number, integer = false): number {
  const v = p[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new FaultError(`${key} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return v;
}

function text(p: FaultParams, key: string, fallback: string, pattern: RegExp): string {
  const v = p[key] ?? fallback;
  if (typeof v !== 'string' || !pattern.test(v)) throw new FaultError(`${key} must match ${pattern}`);
  return v;
}

const none = (): FaultParams => ({});

/** Each fault's parameters with their defaults filled in; throws FaultError on a bad value. */
const NORMALIZE: Record<FaultName, (p: FaultParams) => FaultParams> = {
  'service-offline': (p) => ({ service: oneOf(p, 'service', ['ollama', 'litellm', 'both'], 'ollama') }),
  slow: (p) => ({ seconds: num(p, 'seconds', 45, 0, 3600) }),
  'six-word-fail': none,
  'federation-disabled': none,
  'peers-offline': (p) => ({ count: num(p, 'count', 2, 1, 3, true) }),
  'autonomy-zero': none,
  'elevated-loa': (p) => ({ loa: num(p, 'loa', 2, 2, 5, true) }),
  'routes-denied': none,
  'cloud-model': (p) => ({ model: text(p, 'model', 'cloud/gpt-x', /^cloud\/[\w.-]+$/) }),
  overrides: none,
  'cost-over-budget': (p) => ({ cost: num(p, 'cost', 2.5, 0.01, 1000), burst: num(p, 'burst', 3, 0, 100, true) }),
  'kill-switch': none,
  'federation-errors': none,
  'log-timeouts': (p) => ({ count: num(p, 'count', 3, 1, 100, true) }),
  'dashboard-red': (p) => ({ card: oneOf(p, 'card', ['ollama', 'litellm', 'federation', 'policy'], 'ollama') }),
  hang: none,
  garbage: (p) => ({ size: num(p, 'size', 64, 1, 16 * 1024 * 1024, true) }),
  'profile-drift': (p) => ({ profile: text(p, 'profile', 'dev', /^[a-z][\w-]{0,31}$/) }),
  'security-violation': none,
};

export function normalizeFault(name: unknown, params: unknown = {}): { name: FaultName; params: FaultParams } {
  if (!isFaultName(name)) throw new FaultError(`unknown fault ${JSON.stringify(name)}; known: ${FAULT_NAMES.join(', ')}`);
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new FaultError(`params of ${name} must be an object`);
  }
  try {
    return { name, params: NORMALIZE[name](params as FaultParams) };
  } catch (err) {
    throw new FaultError(`${name}: ${(err as Error).message}`);
  }
}

/** Read-only view of the active faults, as the pure views need it. */
export interface FaultLookup {
  get(name: FaultName): FaultParams | undefined;
}

export type FaultListener = (change: 'set' | 'clear', fault: ActiveFault) => void;

export class FaultSet implements FaultLookup {
  private readonly active = new Map<FaultName, ActiveFault>();

  constructor(private readonly listener: FaultListener = () => undefined) {}

  set(name: unknown, params?: unknown): ActiveFault {
    const n = normalizeFault(name, params ?? {});
    const fault: ActiveFault = { ...n, since: new Date().toISOString() };
    this.active.set(fault.name, fault);
    this.listener('set', fault);
    return fault;
  }

  clear(name: unknown): boolean {
    if (!isFaultName(name)) throw new FaultError(`unknown fault ${JSON.stringify(name)}`);
    const fault = this.active.get(name);
    if (!fault) return false;
    this.active.delete(name);
    this.listener('clear', fault);
    return true;
  }

  clearAll(): number {
    const names = [...this.active.keys()];
    for (const name of names) this.clear(name);
    return names.length;
  }

  get(name: FaultName): FaultParams | undefined {
    return this.active.get(name)?.params;
  }

  list(): ActiveFault[] {
    return [...this.active.values()].map((f) => ({ ...f, params: { ...f.params } }));
  }
}

/** A fixed set of faults, for the pure views in tests and the timeline. */
export function lookupOf(faults: { name: FaultName; params?: FaultParams }[]): FaultLookup {
  const map = new Map(faults.map((f) => [f.name, normalizeFault(f.name, f.params ?? {}).params]));
  return { get: (name) => map.get(name) };
}
