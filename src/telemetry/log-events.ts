import type { Attributes } from '@opentelemetry/api';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';

/*
 * Session events go out through whatever logger provider the application registered globally, found when an
 * event is emitted rather than when the instrumentation was constructed. An install can hold several copies
 * of the Logs API (`@opentelemetry/api-logs` nested under the instrumentation package and under sdk-node, on
 * OpenTelemetry JS 2.x); the logger InstrumentationBase takes from its own copy at construction is a proxy
 * that only that copy's registration would ever connect, so it stays a no-op. Every copy registers in the same
 * global slot, which is read here: `@opentelemetry/api-logs` (2.x) or `@opentelemetry/api` ≥ 1.10 (3.x).
 */

/** SeverityNumber.INFO of the Logs API. */
const SEVERITY_INFO = 9;
/** `@opentelemetry/api-logs`: a getter taking the API compatibility version (1). */
const API_LOGS_GLOBAL = Symbol.for('io.opentelemetry.js.api.logs');
/** `@opentelemetry/api` 1.x global registry; `logs` from 1.10 on. */
const API_GLOBAL = Symbol.for('opentelemetry.js.api.1');

export interface LogEmitter {
  emit(record: { eventName: string; severityNumber: number; severityText: string; attributes: Attributes }): void;
}
interface LoggerProviderLike {
  getLogger(name: string, version?: string): LogEmitter;
}

function isProvider(value: unknown): value is LoggerProviderLike {
  return value !== null && typeof value === 'object' && typeof (value as LoggerProviderLike).getLogger === 'function';
}

/** The globally registered logger provider, if any. */
function globalLoggerProvider(): LoggerProviderLike | undefined {
  const g = globalThis as Record<symbol, unknown>;
  const getter = g[API_LOGS_GLOBAL];
  if (typeof getter === 'function') {
    const provider: unknown = getter(1);
    if (isProvider(provider)) return provider;
  }
  const api = g[API_GLOBAL] as { logs?: unknown } | undefined;
  return isProvider(api?.logs) ? api.logs : undefined;
}

/**
 * Emits events through the global provider's logger (cached per provider), else through `fallback` (the
 * instrumentation's own logger, for a provider given to it directly). The global one goes first: the
 * provider `registerInstrumentations` hands over when none was given is its own API copy's proxy.
 */
export class EventLogger {
  private provider: LoggerProviderLike | undefined;
  private logger: LogEmitter | undefined;

  emit(name: string, attributes: Attributes, fallback: LogEmitter): void {
    (this.current() ?? fallback).emit({ eventName: name, severityNumber: SEVERITY_INFO, severityText: 'INFO', attributes });
  }

  private current(): LogEmitter | undefined {
    const provider = globalLoggerProvider();
    if (provider === undefined) return undefined;
    if (provider !== this.provider) {
      this.provider = provider;
      this.logger = provider.getLogger(PACKAGE_NAME, PACKAGE_VERSION);
    }
    return this.logger;
  }
}
