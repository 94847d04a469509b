// The `mail` config section: the SMTP server the node sends through and its sender address
// (docs/email.md). Mail is off when no host is set; then every flow that would send mail says so.
import { z } from 'zod';

/** `name@domain`, or `Display Name <name@domain>`: the address part, or undefined when it is neither. */
export function senderAddress(from: string): string | undefined {
  const angle = /^[^<>]*<([^<>]+)>\s*$/.exec(from.trim());
  const address = (angle ? angle[1] : from).trim();
  return z.email().safeParse(address).success ? address : undefined;
}

const smtpSchema = z
  .object({
    /** The SMTP server (a relay such as Postfix on localhost, or a provider's submission host); null: mail is off. */
    host: z.string().min(1).nullable().default(null),
    /** 587 (submission, STARTTLS), 465 (implicit TLS, with `secure`), 25 (a local relay). */
    port: z.number().int().min(1).max(65535).default(587),
    /** Implicit TLS: TLS from the first byte (port 465). */
    secure: z.boolean().default(false),
    /** Refuse to send unless the server upgrades the connection with STARTTLS. */
    requireTLS: z.boolean().default(false),
    /** Never upgrade with STARTTLS, even when the server offers it (a local relay without a certificate). */
    ignoreTLS: z.boolean().default(false),
    /** Check the server's certificate (turn off only for a relay of your own with a self-signed one). */
    tlsRejectUnauthorized: z.boolean().default(true),
    user: z.string().min(1).nullable().default(null),
    pass: z.string().min(1).nullable().default(null),
    /** Connections the node keeps open to the server (one pooled transport per node process). */
    maxConnections: z.number().int().min(1).max(50).default(3),
    /** How long to wait for the connection and the server's greeting, in milliseconds. */
    connectTimeoutMs: z.number().int().min(100).max(300_000).default(30_000),
  })
  .prefault({});

export const mailConfigSchema = z
  .object({
    smtp: smtpSchema,
    /** The sender of every mail: `noreply@music.example.org` or `9ten <noreply@music.example.org>`. */
    from: z.string().min(3).nullable().default(null),
    retry: z
      .object({
        /** Tries per mail before it stays failed (an admin can retry it). */
        attempts: z.number().int().min(1).max(30).default(8),
        /** The first wait after a failed try, doubled after each further one (30 s with 8 attempts: waits of 30 s, 1, 2, 4, 8, 16 and 32 min; the 8th try comes about 64 min after the first). */
        backoffMs: z.number().int().min(100).max(3_600_000).default(30_000),
      })
      .prefault({}),
    /** Sent mails are forgotten after this many days (failed ones stay until an admin retries them). */
    keepSentDays: z.number().int().min(1).max(3650).default(30),
  })
  .superRefine((m, ctx) => {
    const problem = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    if (m.smtp.host !== null && m.from === null) problem(['from'], 'required when mail.smtp.host is set: the sender address, e.g. "9ten <noreply@music.example.org>" (env MAIL_FROM)');
    if (m.from !== null && !senderAddress(m.from)) problem(['from'], `"${m.from}" is not an address: write name@domain or "Name <name@domain>"`);
    if (m.smtp.secure && m.smtp.requireTLS) problem(['smtp', 'requireTLS'], 'not with secure: implicit TLS (secure, port 465) is encrypted from the start; STARTTLS (requireTLS, port 587) upgrades a plain connection. Choose one');
    if (m.smtp.ignoreTLS && (m.smtp.requireTLS || m.smtp.secure)) problem(['smtp', 'ignoreTLS'], 'contradicts secure/requireTLS: ignoreTLS sends without encryption');
    // nodemailer would hang on the greeting (TLS spoken to a plain port, or the other way round) until connectTimeoutMs, on every try.
    if (m.smtp.secure && m.smtp.port === 587) problem(['smtp', 'secure'], 'not with port 587: port 587 starts plain and upgrades with STARTTLS (use requireTLS); implicit TLS (secure) is port 465 (env SMTP_PORT=465)');
    if (!m.smtp.secure && m.smtp.port === 465) problem(['smtp', 'port'], '465 speaks TLS from the first byte: set secure (env SMTP_SECURE=true), or use 587 with requireTLS');
    if ((m.smtp.user === null) !== (m.smtp.pass === null)) problem(['smtp', m.smtp.user === null ? 'user' : 'pass'], 'SMTP login needs both user and pass (env SMTP_USER, SMTP_PASS)');
  })
  // `enabled` is derived, never set: mail is on exactly when there is a server to send through.
  .transform((m) => ({ ...m, enabled: m.smtp.host !== null }));

export type MailConfig = z.infer<typeof mailConfigSchema>;
