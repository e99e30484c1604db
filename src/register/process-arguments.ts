/*
 * The OpenTelemetry process detector puts every argument of the process into the resource
 * (`process.command_args`: argv and execArgv), so onto every span, metric and log record. MCP servers take
 * secrets as arguments: a database URL with its password (the reference Postgres server), API keys, tokens in
 * client configs' `args`. register() leaves that one attribute out; the rest of what the detector finds
 * (pid, executable, script path, runtime, owner) stays.
 *
 * NodeSDK runs its detectors synchronously inside `start()`, choosing them from its own defaults or from
 * OTEL_NODE_RESOURCE_DETECTORS, and those defaults differ between OpenTelemetry JS 2.x and 3.x. Rather than
 * re-implement that choice, the shared `processDetector` drops the attribute for the duration of `start()` only,
 * and is restored right after.
 */
import { diag } from '@opentelemetry/api';

const ATTR_PROCESS_COMMAND_ARGS = 'process.command_args';

interface Detector {
  detect(config?: unknown): { attributes?: Record<string, unknown> } | undefined;
}

/** Runs `start` with `processDetector` (of the SDK's own `@opentelemetry/resources`) not reporting the arguments. */
export function withoutProcessArguments<T>(processDetector: Detector | undefined, start: () => T): T {
  if (!processDetector || typeof processDetector.detect !== 'function') return start();
  const own = Object.prototype.hasOwnProperty.call(processDetector, 'detect');
  const original = processDetector.detect;
  try {
    processDetector.detect = function detect(this: Detector, config?: unknown) {
      const detected = original.call(this, config);
      const attributes = detected?.attributes;
      if (!attributes || !(ATTR_PROCESS_COMMAND_ARGS in attributes)) return detected;
      const { [ATTR_PROCESS_COMMAND_ARGS]: _arguments, ...rest } = attributes;
      return { ...detected, attributes: rest };
    };
  } catch (err) {
    diag.warn(`mcp-otel: could not keep ${ATTR_PROCESS_COMMAND_ARGS} out of the resource`, err);
    return start();
  }
  try {
    return start();
  } finally {
    if (own) processDetector.detect = original;
    else delete (processDetector as Partial<Detector>).detect;
  }
}
