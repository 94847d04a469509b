// Structured logs (pino): one root logger per node, child loggers per capability.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string, nodeName: string): Logger {
  return pino({ level, base: { node: nodeName }, timestamp: pino.stdTimeFunctions.isoTime });
}
