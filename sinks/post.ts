// A bounded JSON POST for the sinks that speak HTTP: 429 and 5xx may work later, other 4xx never will.
import { Permanent } from './types';

export async function postJson(url: string, body: unknown, headers: Record<string, string>, cancelled?: AbortSignal): Promise<void> {
  let res: Response;
  const timeout = AbortSignal.timeout(10_000);
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: cancelled ? AbortSignal.any([timeout, cancelled]) : timeout,
    });
  } catch (err) {
    throw new Error(`${new URL(url).host}: ${(err as Error).cause ?? (err as Error).message}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 429 || res.status >= 500) throw new Error(`${new URL(url).host} answered ${res.status}`);
  if (res.status >= 400) throw new Permanent(`${new URL(url).host} refused the message: ${res.status}`);
}
