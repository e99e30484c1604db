import type { Attributes, DiagLogger, Tracer } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config';
import type { ClientOperationTally, McpMetrics } from './metrics';

/**
 * What telemetry reads from the instrumentation, as plain fields that the instrumentation replaces when they
 * change (configuration, providers). Hot-path code reads fields, never getters; `sync()` is the one explicit,
 * per-message check for a global provider registered after the instruments were made.
 */
export interface TelemetrySource {
  readonly config: ResolvedConfig;
  readonly tracer: Tracer;
  readonly metrics: McpMetrics;
  /** Per-client operation counts behind `mcp.server.client.operations`. */
  readonly tally: ClientOperationTally;
  readonly diag: DiagLogger;
  /**
   * Picks up a global tracer or meter provider registered since the last call: instruments made before one was
   * registered are no-ops, and @opentelemetry/api ≥ 1.10's separate ESM and CommonJS builds can register late.
   */
  sync(): void;
  /** Emits an OpenTelemetry log event (a no-op without a logger provider); never throws. */
  emitEvent(name: string, attributes: Attributes): void;
  /** Runs user or optional code; a throw or rejection is logged and turned into `undefined`. */
  safe<T>(fn: () => T, what: string): T | undefined;
}
