// The node's one SMTP transport (nodemailer, pooled), made on first use so that a web-only
// process never connects; and what a failed send means for retrying.
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import type { MailConfig } from './config.js';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** How long nodemailer waits for a silent server (the socket's idle timeout). */
const socketTimeoutMs = (smtp: MailConfig['smtp']) => Math.max(60_000, smtp.connectTimeoutMs);

/**
 * The longest one try can take: connecting, the greeting, and the exchange, which fails once the
 * server stays silent for a socket timeout (counted twice: a few kilobytes go in a couple of
 * exchanges). A worker holds a mail this long (plus a margin) before another may take it over.
 */
export function longestTryMs(smtp: MailConfig['smtp']): number {
  return 2 * smtp.connectTimeoutMs + 2 * socketTimeoutMs(smtp);
}

export class SmtpTransport {
  private transporter?: Transporter<SMTPPool.SentMessageInfo>;

  constructor(private readonly config: MailConfig) {}

  /** Sends one message; resolves with the server's answer (`250 …`), rejects with nodemailer's error. */
  async send(message: MailMessage): Promise<string> {
    this.transporter ??= nodemailer.createTransport(this.options());
    const info = await this.transporter.sendMail({ from: this.config.from!, ...message });
    return info.response;
  }

  close(): void {
    this.transporter?.close();
    this.transporter = undefined;
  }

  private options(): SMTPPool.Options {
    const { smtp } = this.config;
    return {
      pool: true,
      host: smtp.host!,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: smtp.requireTLS,
      ignoreTLS: smtp.ignoreTLS,
      tls: { rejectUnauthorized: smtp.tlsRejectUnauthorized },
      auth: smtp.user ? { user: smtp.user, pass: smtp.pass! } : undefined,
      maxConnections: smtp.maxConnections,
      connectionTimeout: smtp.connectTimeoutMs,
      greetingTimeout: smtp.connectTimeoutMs,
      // A message of a few kilobytes: a server silent for this long is gone.
      socketTimeout: socketTimeoutMs(smtp),
    };
  }
}

interface SmtpError {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/**
 * The server refused this message for good (a 5xx answer to the recipient or the message):
 * trying again sends nothing. A refused login, a closed port or a 4xx is worth retrying: the
 * admin may fix the setup, the server may come back.
 */
export function refusedForGood(err: unknown): boolean {
  const e = err as SmtpError;
  return (e.code === 'EENVELOPE' || e.code === 'EMESSAGE') && typeof e.responseCode === 'number' && e.responseCode >= 500 && e.responseCode < 600;
}

/** One line for the admin's list: nodemailer's code, the server's answer when there was one. */
export function describeSmtpError(err: unknown): string {
  const e = err as SmtpError;
  const text = e.response && !String(e.message).includes(e.response) ? `${e.message} (${e.response})` : String(e.message ?? err);
  return e.code ? `${e.code}: ${text}` : text;
}
