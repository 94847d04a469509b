// What the mail port (accounts/contract.ts `MailPort`) throws when the node has no SMTP server:
// callers ask `enabled()` first, and a flow that needs mail answers with this instead of failing later.
import { AppError } from '../http/errors.js';

export class MailDisabled extends AppError {
  constructor(what = 'This needs e-mail') {
    super(503, 'mail_disabled', `${what}, and this node does not send e-mail (no SMTP server is set up); ask an admin`);
  }
}
