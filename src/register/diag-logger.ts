import { format } from 'node:util';
import type { DiagLogger } from '@opentelemetry/api';

/** One DiagLogger method: writes `[otel <level>] message` to stderr, never throwing. */
function line(level: string) {
  return (message: string, ...args: unknown[]) => {
    try {
      process.stderr.write(`[otel ${level}] ${format(message, ...args)}\n`);
    } catch {
      // nowhere left to report to
    }
  };
}

/**
 * A diag logger that writes to stderr only. On stdio servers stdout is the
 * protocol channel, and the SDK's DiagConsoleLogger sends info and debug there.
 */
export const stderrDiagLogger: DiagLogger = {
  error: line('error'),
  warn: line('warn'),
  info: line('info'),
  debug: line('debug'),
  verbose: line('verbose'),
};

const warned = new Set<string>();

/**
 * A configuration problem, reported once per process on stderr as a Node.js process warning (type
 * `McpOtelWarning`, so `process.on('warning')` sees it; `--no-warnings` silences it). Not through `diag`:
 * configuration is read while the instrumentation is constructed, before anyone could have set a diag logger.
 */
export function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  try {
    process.emitWarning(`mcp-otel: ${message}`, { type: 'McpOtelWarning', code: 'MCP_OTEL_CONFIG' });
  } catch {
    // nowhere left to report to
  }
}
