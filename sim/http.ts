// Small HTTP vocabulary of the simulator: requests as handlers see them, replies, errors.

import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { jsonText } from './json';

export const MAX_BODY = 1024 * 1024;

export interface Req {
  method: string;
  path: string;
  params: Record<string, string>;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  startedAt: number;
}

export interface Reply {
  status: number;
  type: string;
  body: string | Buffer;
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'object' && body && 'error' in body ? String(body.error) : `HTTP ${status}`);
  }
}

export function json(status: number, value: unknown): Reply {
  return { status, type: 'application/json', body: jsonText(value) };
}

export function html(status: number, page: string): Reply {
  return { status, type: 'text/html; charset=utf-8', body: page };
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, { error: 'body too large' }));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** The request body as a JSON object ({} when empty); 400 otherwise. */
export function jsonBody(req: Req): Record<string, unknown> {
  if (req.raw.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(req.raw.toString('utf8'));
  } catch {
    throw new HttpError(400, { error: 'invalid JSON body' });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError(400, { error: 'body must be a JSON object' });
  }
  return value as Record<string, unknown>;
}
