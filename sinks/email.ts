// E-mail over SMTP (nodemailer): plain text and HTML, the incident document attached to a resolution.
// SMTP has no idempotency: a message accepted by the server just before a worker dies is sent again by
// the retried attempt. Every attempt of one event carries the same Message-ID (made from the event id),
// which mail stores and clients use to fold the second copy into the first.
import { readFile } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { z } from 'zod';
import type { Notification } from '../core/messages';
import { EnvName } from '../plan/fields';
import { Permanent, type SinkKind } from './types';

export const EmailSink = z.strictObject({
  kind: z.literal('email'),
  /** SMTP server host; may use `${var}`s. */
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(587),
  /** `starttls` (default: upgrade required), `tls` (TLS from the first byte, port 465), `none` (a local relay only). */
  security: z.enum(['starttls', 'tls', 'none']).default('starttls'),
  from: z.string().min(3),
  /** Recipients; each may use `${var}`s. */
  to: z.array(z.string().min(3)).min(1),
  /** Environment variables holding the SMTP user and password (never the values). */
  userEnv: EnvName.optional(),
  passwordEnv: EnvName.optional(),
  /** A CA bundle for a server whose certificate is not signed by a public CA. */
  caFile: z.string().optional(),
  timeout: z.number().int().positive().default(20_000),
});
export type EmailSinkSpec = z.output<typeof EmailSink>;

const SUBJECT_TAG: Record<Notification['severity'], string> = { critical: 'CRITICAL', error: 'ERROR', warning: 'WARNING', info: 'info' };

/** The Message-ID of an event: the same on every attempt. */
export function messageIdOf(n: Notification): string {
  return `<${n.eventId.replace(/[^A-Za-z0-9._-]/g, '_')}@release-watch>`;
}

/** The message for one notification: subject, text and a simple escaped HTML body. */
export function emailMessage(n: Notification): { subject: string; text: string; html: string } {
  const lines = [n.text];
  if (n.to?.length) lines.push(`For: ${n.to.join(', ')}`);
  if (n.command) lines.push(`Answer with: ${n.command}`);
  lines.push(`Watch: ${n.watchId}`);
  const text = lines.join('\n\n');
  const html = [
    `<h2>${escape(n.title)}</h2>`,
    ...n.text.split('\n').map((l) => `<p>${escape(l)}</p>`),
    ...(n.to?.length ? [`<p>For: ${escape(n.to.join(', '))}</p>`] : []),
    ...(n.command ? [`<p>Answer with: <code>${escape(n.command)}</code></p>`] : []),
    `<p style="color:#6b7280">Watch ${escape(n.watchId)}</p>`,
  ].join('\n');
  return { subject: `[${SUBJECT_TAG[n.severity]}] ${n.title}`, text, html };
}

function escape(t: string): string {
  return t.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export const emailSink: SinkKind<EmailSinkSpec> = {
  kind: 'email',
  schema: EmailSink,
  name: (s) => `email:${s.to.join(',')}`,
  async deliver(spec, n, ctx) {
    const user = spec.userEnv ? ctx.env[spec.userEnv] : undefined;
    const pass = spec.passwordEnv ? ctx.env[spec.passwordEnv] : undefined;
    if (spec.userEnv && (!user || !pass)) return 'unconfigured';
    const transport = nodemailer.createTransport({
      host: ctx.text(spec.host),
      port: spec.port,
      secure: spec.security === 'tls',
      requireTLS: spec.security === 'starttls',
      ignoreTLS: spec.security === 'none',
      ...(user ? { auth: { user, pass } } : {}),
      ...(spec.caFile ? { tls: { ca: await readFile(ctx.text(spec.caFile)) } } : {}),
      connectionTimeout: spec.timeout,
      greetingTimeout: spec.timeout,
      socketTimeout: spec.timeout,
    });
    const message = emailMessage(n);
    const attach = n.incident?.action === 'resolve' && ctx.document;
    try {
      await transport.sendMail({
        from: spec.from,
        to: spec.to.map((t) => ctx.text(t)),
        subject: message.subject,
        text: message.text,
        html: message.html,
        messageId: messageIdOf(n),
        date: new Date(n.at),
        headers: { 'X-Release-Watch-Event': n.eventId },
        ...(attach
          ? { attachments: [{ filename: `${n.incident!.id.split('/').pop()}.md`, content: ctx.document!, contentType: 'text/markdown' }] }
          : {}),
      });
    } catch (err) {
      // A 5xx reply (a recipient or sender refused, authentication failed) will not work on a retry.
      const code = (err as { responseCode?: number }).responseCode;
      if (code !== undefined && code >= 500) throw new Permanent(`SMTP server refused the message: ${(err as Error).message}`);
      throw err;
    } finally {
      transport.close();
    }
    return 'delivered';
  },
};
