import { format } from 'node:util';
import type { DiagLogger } from '@opentelemetry/api';

/**
 * A diag logger that writes to stderr only. On stdio servers stdout is the
 * protocol channel, and the SDK's DiagConsoleLogger sends info and debug there.
 */
function line(level: string) {
  return (message: string, ...args: unknown[]) => {
    try {
      process.stderr.write(`[otel ${level}] ${format(message, ...args)}\n`);
    } catch {
      // nowhere left to report to
    }
  };
}

export const stderrDiagLogger: DiagLogger = {
  error: line('error'),
  warn: line('warn'),
  info: line('info'),
  debug: line('debug'),
  verbose: line('verbose'),
};
