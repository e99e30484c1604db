/*
 * Registering real OpenTelemetry SDK providers globally, the same way on both OpenTelemetry JS lines the tests
 * run with (2.x on Node 20, 3.x on Node ≥ 22.15): only APIs both lines have (`@opentelemetry/sdk-trace`'s
 * TracerProvider, the AsyncLocalStorage context manager, W3C propagators from core; 3.x has no
 * sdk-trace-node). Logs: 3.x registers through `@opentelemetry/api` ≥ 1.10, 2.x through `@opentelemetry/api-logs`.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import * as api from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { TracerProvider } from '@opentelemetry/sdk-trace';
import type { SpanProcessor } from '@opentelemetry/sdk-trace';

/** What NodeTracerProvider.register() does: global provider, AsyncLocalStorage context, W3C trace context and baggage. */
export function registerTracing(spanProcessors: SpanProcessor[]): TracerProvider {
  const provider = new TracerProvider({ spanProcessors });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  trace.setGlobalTracerProvider(provider);
  return provider;
}

interface LogsApi {
  setGlobalLoggerProvider(provider: unknown): unknown;
}

/** Registers a logger provider globally through the Logs API of the installed OpenTelemetry line. */
export function registerLoggerProvider(provider: unknown): void {
  const fromApi = (api as unknown as { logs?: LogsApi }).logs;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const logs: LogsApi = fromApi ?? (require('@opentelemetry/api-logs') as { logs: LogsApi }).logs;
  logs.setGlobalLoggerProvider(provider);
}
