import { diag } from '@opentelemetry/api';

/**
 * While `flushing` is pending, `process.exit()` waits for it. A server whose own signal handler ends with
 * `process.exit()` (the MCP reference servers': `await server.close(); process.exit(0)`) would otherwise end the
 * process a few microtasks into the shutdown flush, before the exporters have sent anything. The wait is bounded
 * by the flush's own timeout, the exit code is kept, and `process.exit` is the original again once the flush
 * settles. (Unlike the real one, the deferred call returns: code after it runs until the flush is done.)
 */
export function deferExitUntil(flushing: Promise<unknown>): void {
  const original = process.exit;
  let exiting = false;
  const deferred = function exit(code?: number | string | null): never {
    if (!exiting) {
      exiting = true;
      diag.debug('mcp-otel: process.exit() during the shutdown flush; exiting once the flush is done');
      const exitNow = () => original.call(process, code);
      flushing.then(exitNow, exitNow);
    }
    return undefined as never;
  } as typeof process.exit;
  try {
    process.exit = deferred;
  } catch (err) {
    diag.debug('mcp-otel: process.exit cannot be replaced; a process.exit() during the flush ends it early', err);
    return;
  }
  const restore = () => {
    if (process.exit === deferred) process.exit = original;
  };
  flushing.then(restore, restore);
}
