// What other capabilities may ask of moderation: it receives the reports other servers send
// as Flags (federation's report port).
import type { ReportReceiver } from '../federation/contract.js';

export type ModerationApi = ReportReceiver;
