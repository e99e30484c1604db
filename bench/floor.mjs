/*
 * The floor of bench/run.mjs (and bench/alloc.mjs): the least any instrumentation emitting mcp-otel's data must
 * do per request. It wraps the SDK's request handlers, as an instrumentation that knew nothing about sessions
 * would, using the global tracer and meter providers of the process.
 */
import { context, metrics, SpanKind, trace } from '@opentelemetry/api';

const DURATION_METRIC = 'mcp.server.operation.duration';
let floor;

/** Wraps every request handler of `mcpServer`: a SERVER span with 10 attributes, active around the handler, and a duration point. */
export function wrapHandlersForFloor(mcpServer) {
  // Created once, at first use: after the caller has registered its providers.
  floor ??= {
    tracer: trace.getTracer('mcp-otel-bench-floor'),
    duration: metrics.getMeterProvider().getMeter('mcp-otel-bench-floor').createHistogram(DURATION_METRIC, { unit: 's' }),
  };
  const { tracer: floorTracer, duration: floorDuration } = floor;
  const handlers = mcpServer.server._requestHandlers;
  for (const [method, handler] of handlers) {
    handlers.set(method, function floorHandler(request, extra) {
      const name = request.params?.name;
      const span = floorTracer.startSpan(name ? `${method} ${name}` : method, {
        kind: SpanKind.SERVER,
        attributes: {
          'mcp.method.name': method,
          'jsonrpc.request.id': String(request.id),
          'mcp.session.id': 'session',
          'mcp.protocol.version': '2025-06-18',
          'mcp.client.name': 'bench-client',
          'mcp.client.version': '1.0.0',
          'mcp.client.type': 'other',
          'mcp.client.tracking_id': 'tracking',
          'gen_ai.tool.name': name,
          'gen_ai.operation.name': 'execute_tool',
        },
      });
      const start = performance.now();
      const done = () => {
        span.end();
        floorDuration.record((performance.now() - start) / 1000, {
          'mcp.method.name': method,
          'gen_ai.tool.name': name,
          'mcp.protocol.version': '2025-06-18',
          'mcp.client.type': 'other',
        });
      };
      return context.with(trace.setSpan(context.active(), span), () => handler(request, extra)).then(
        (result) => {
          done();
          return result;
        },
        (err) => {
          done();
          throw err;
        },
      );
    });
  }
}
