// Pure answers of the service, computed from the state and the active faults.

import type { FaultLookup } from './faults';
import type { SimState } from './state';

export const PEERS = ['loopback', 'peer-b', 'peer-c'] as const;
export const SERVICES = ['ollama', 'litellm'] as const;
export const LOCAL_MODEL = 'local/llama3';
export const CLOUD_COST = 0.05;
export const HEALTHY_PHRASE = 'Orchestra healthy and all sections playing';
export const BROKEN_PHRASE = 'Orchestra degraded, strings section silent';

export type Service = (typeof SERVICES)[number];

export function servicesUp(faults: FaultLookup): Record<Service, boolean> {
  const down = faults.get('service-offline')?.service;
  return {
    ollama: down !== 'ollama' && down !== 'both',
    litellm: down !== 'litellm' && down !== 'both',
  };
}

export function peersView(faults: FaultLookup): { name: string; online: boolean }[] {
  const offline = Number(faults.get('peers-offline')?.count ?? 0);
  return PEERS.map((name, i) => ({ name, online: i < PEERS.length - offline }));
}

export function statusView(faults: FaultLookup) {
  return {
    services: servicesUp(faults),
    federation: { enabled: !faults.get('federation-disabled'), peers: peersView(faults) },
  };
}

export function killSwitchOn(state: SimState, faults: FaultLookup): 0 | 1 {
  return state.killSwitch === 1 || faults.get('kill-switch') ? 1 : 0;
}

function capped(state: SimState, loa: number): number {
  return state.loaCap === null ? loa : Math.min(loa, state.loaCap);
}

export function policyView(state: SimState, faults: FaultLookup) {
  const elevated = faults.get('elevated-loa')?.loa;
  const raw = faults.get('autonomy-zero') ? 0 : typeof elevated === 'number' ? elevated : 1;
  const drift = faults.get('profile-drift')?.profile;
  return {
    autonomy: capped(state, raw),
    profile: typeof drift === 'string' ? drift : state.profile,
    killSwitch: killSwitchOn(state, faults),
  };
}

export interface RouteRequest {
  task: string;
  loa: number;
}

export interface Decision {
  decision: 'allowed' | 'denied';
  task: string;
  loa: number;
  model: string;
  cost: number;
  reason?: string;
}

export function decide(req: RouteRequest, state: SimState, faults: FaultLookup): Decision {
  const elevated = faults.get('elevated-loa')?.loa;
  const loa = capped(state, typeof elevated === 'number' ? elevated : req.loa);
  const cloud = faults.get('cloud-model')?.model;
  const model = typeof cloud === 'string' ? cloud : LOCAL_MODEL;
  const overBudget = faults.get('cost-over-budget')?.cost;
  const cost = typeof overBudget === 'number' ? overBudget : cloud ? CLOUD_COST : 0;
  if (killSwitchOn(state, faults)) {
    return { decision: 'denied', task: req.task, loa, model: 'none', cost: 0, reason: 'kill switch on' };
  }
  if (faults.get('routes-denied')) {
    return { decision: 'denied', task: req.task, loa, model: 'none', cost: 0, reason: 'route denied by policy' };
  }
  return { decision: 'allowed', task: req.task, loa, model, cost };
}

export function healthView(faults: FaultLookup, elapsedMs: number) {
  const up = servicesUp(faults);
  return {
    sixWord: faults.get('six-word-fail') ? BROKEN_PHRASE : HEALTHY_PHRASE,
    services: {
      ollama: up.ollama ? 'online' : 'offline',
      litellm: up.litellm ? 'online' : 'offline',
    },
    elapsedMs,
  };
}

export type CardStatus = 'green' | 'red';

export function cardsView(state: SimState, faults: FaultLookup): { cards: { name: string; status: CardStatus }[] } {
  const up = servicesUp(faults);
  const status = statusView(faults);
  const policy = policyView(state, faults);
  const green: Record<string, boolean> = {
    ollama: up.ollama,
    litellm: up.litellm,
    federation: status.federation.enabled && status.federation.peers.every((p) => p.online),
    policy: policy.autonomy === 1 && policy.killSwitch === 0,
  };
  const forcedRed = faults.get('dashboard-red')?.card;
  return {
    cards: Object.entries(green).map(([name, ok]) => ({
      name,
      status: ok && name !== forcedRed ? 'green' : 'red',
    })),
  };
}
