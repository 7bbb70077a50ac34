// What the service writes to its logs: route decisions, and the lines the log faults add.
// A log fault writes its lines when it is set, and again on each unit of traffic
// (a /health/fast or /route/decide request) while it stays active.

import type { ActiveFault, FaultLookup, FaultName } from './faults';
import type { LogWriter } from './logs';
import { addSpend, type SimState } from './state';
import { decide, type Decision } from './views';

export function logRoute(log: LogWriter, d: Decision, killSwitch: 0 | 1, extra: Record<string, unknown> = {}): void {
  const { decision, task, loa, model, cost, reason } = d;
  log.trigger('route', {
    task,
    decision,
    loa,
    model,
    cost,
    ...(reason ? { reason } : {}),
    ...(killSwitch ? { kill_switch: 1 } : {}),
    ...extra,
  });
}

const ONGOING: Partial<Record<FaultName, (log: LogWriter, params: ActiveFault['params']) => void>> = {
  overrides: (log) => {
    log.override({ task: 'code', from_loa: 1, to_loa: 2, actor: 'operator', reason: 'manual LOA override' });
    log.trigger('override', { task: 'code', detail: 'LOA override applied outside policy' });
  },
  'kill-switch': (log) => log.trigger('policy', { kill_switch: 1, source: 'unexpected activation' }),
  'federation-errors': (log) => log.trigger('federation', { peer: 'peer-b', ok: false, error: 'federation sync error: connection reset' }),
  'log-timeouts': (log, params) => {
    const count = Number(params.count);
    for (let i = 0; i < count; i++) log.trigger('upstream', { service: 'litellm', message: 'request timeout after 30s' });
    for (let i = 0; i < count; i++) log.trigger('upstream', { service: 'ollama', message: 'completion failed' });
  },
  'security-violation': (log) =>
    log.trigger('security', { message: 'security violation: tool call outside sandbox blocked', rule: 'sandbox' }),
};

/** Lines written once when a fault is set. */
export function onFaultSet(fault: ActiveFault, log: LogWriter, state: SimState, faults: FaultLookup): void {
  ONGOING[fault.name]?.(log, fault.params);
  if (fault.name === 'cost-over-budget') {
    // Background traffic that has already spent past the daily ceiling.
    for (let i = 0; i < Number(fault.params.burst); i++) {
      const d = decide({ task: 'batch', loa: 1 }, state, faults);
      if (d.decision !== 'allowed') break;
      addSpend(state, d.cost);
      logRoute(log, d, 0, { source: 'background' });
    }
  }
}

/** Lines the active log faults write on each unit of traffic. */
export function onTraffic(active: ActiveFault[], log: LogWriter): void {
  for (const fault of active) ONGOING[fault.name]?.(log, fault.params);
}
