// A real SMTP server on loopback for tests (the `smtp-server` package): it keeps every mail it
// receives, parsed with mailparser, and can stop and start again on the same port (an outage),
// ask for a login, or refuse recipients for good (550).
import { createRequire } from 'node:module';
import { SMTPServer } from 'smtp-server';
import { freePort } from '../../server/db/embedded.js';
import { waitFor } from './wait.js';

interface Parsed {
  subject?: string;
  text?: string;
  html?: string | false;
  from?: { text: string };
  to?: { text: string } | { text: string }[];
}
// mailparser is CommonJS without type declarations.
const { simpleParser } = createRequire(import.meta.url)('mailparser') as { simpleParser(source: Buffer): Promise<Parsed> };

export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO). */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
}

export interface TestSmtpOptions {
  /** Ask for this login (AUTH PLAIN/LOGIN over the plain connection). */
  auth?: { user: string; pass: string };
  /** Recipients refused for good (550). */
  refuse?: (address: string) => boolean;
}

export class TestSmtpServer {
  readonly received: ReceivedMail[] = [];
  private server?: SMTPServer;

  private constructor(
    readonly port: number,
    private readonly options: TestSmtpOptions,
  ) {}

  /** A server on a free loopback port; `listening: false` only reserves the port (the server is "down"). */
  static async start(options: TestSmtpOptions & { listening?: boolean } = {}): Promise<TestSmtpServer> {
    const smtp = new TestSmtpServer(await freePort(), options);
    if (options.listening !== false) await smtp.listen();
    return smtp;
  }

  async listen(): Promise<void> {
    const { auth, refuse } = this.options;
    const server = new SMTPServer({
      // No STARTTLS: smtp-server's built-in certificate is self-signed.
      disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      authOptional: !auth,
      allowInsecureAuth: true,
      logger: false,
      closeTimeout: 200,
      onAuth: (login, _session, done) =>
        login.username === auth?.user && login.password === auth?.pass ? done(null, { user: login.username }) : done(Object.assign(new Error('Invalid login'), { responseCode: 535 })),
      onRcptTo: (rcpt, _session, done) => (refuse?.(rcpt.address) ? done(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 })) : done()),
      onData: (stream, session, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          simpleParser(Buffer.concat(chunks))
            .then((m) => {
              this.received.push({
                to: session.envelope.rcptTo.map((r) => r.address),
                from: m.from?.text ?? '',
                subject: m.subject ?? '',
                text: m.text ?? '',
                html: typeof m.html === 'string' ? m.html : '',
              });
              done();
            })
            .catch(done);
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  /** Stops listening and drops open connections (the node's pool sees the server go away). */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The first mail to `to` (and matching `subject`, when given) received so far or within `timeoutMs`. */
  mailTo(to: string, subject?: RegExp, timeoutMs = 20_000): Promise<ReceivedMail> {
    return waitFor(`a mail to ${to}${subject ? ` matching ${subject}` : ''}`, () => this.received.find((m) => m.to.includes(to) && (!subject || subject.test(m.subject))), timeoutMs, 50);
  }

  /** Mails to `to` so far. */
  mailsTo(to: string): ReceivedMail[] {
    return this.received.filter((m) => m.to.includes(to));
  }

  /** The node's config for sending through this server (short retries for tests). */
  nodeConfig(retry: { attempts?: number; backoffMs?: number } = {}): Record<string, unknown> {
    return {
      mail: {
        smtp: { host: '127.0.0.1', port: this.port, ignoreTLS: true, connectTimeoutMs: 2000, ...(this.options.auth ?? {}) },
        from: '9ten test <noreply@node.test>',
        retry: { attempts: retry.attempts ?? 5, backoffMs: retry.backoffMs ?? 200 },
      },
    };
  }
}

/** The token of the link to `page` in a mail (…/page?token=…). */
export function linkToken(mail: ReceivedMail, page: string): string {
  const m = new RegExp(`/${page}\\?token=([A-Za-z0-9_-]+)`).exec(mail.text);
  if (!m) throw new Error(`no /${page} link in the mail: ${mail.text}`);
  return m[1];
}
