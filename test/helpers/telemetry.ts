/*
 * In-process OpenTelemetry for tests: real SDK providers registered globally
 * (the instrumentation never gets setTracerProvider/setMeterProvider), an
 * in-memory span exporter, and a metric reader collected on demand.
 */
import { metrics, SpanKind } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { McpInstrumentation } from '../../dist/cjs/index.js';
import type { McpInstrumentationConfig } from '../../dist/cjs/index.js';
import { registerTracing } from './otel-sdk';

class TestMetricReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onForceFlush(): Promise<void> {}
  protected async onShutdown(): Promise<void> {}
}

export const spanExporter = new InMemorySpanExporter();
registerTracing([new SimpleSpanProcessor({ exporter: spanExporter })]);
const metricReader = new TestMetricReader();
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [metricReader] }));

let instrumentation: McpInstrumentation | undefined;

/**
 * Creates (once per test file) the instrumentation and patches the ESM SDK classes the tests import. The
 * tests' own clients are traced only when a test asks for it (`client: true`, test/in-process/client.test.ts): the server
 * tests assert on the server's spans.
 */
export async function instrument(config: McpInstrumentationConfig = {}): Promise<McpInstrumentation> {
  config = { client: false, ...config };
  if (!instrumentation) {
    instrumentation = new McpInstrumentation(config);
    instrumentation.instrument(await import('@modelcontextprotocol/sdk/server/index.js'));
    instrumentation.instrument(await import('@modelcontextprotocol/sdk/server/streamableHttp.js'));
    instrumentation.instrument(await import('@modelcontextprotocol/sdk/server/sse.js'));
  } else {
    instrumentation.setConfig(config);
  }
  return instrumentation;
}

export function resetTelemetry(): void {
  spanExporter.reset();
}

/** Finished spans, waiting briefly for spans that end when a send promise settles. */
export async function finishedSpans(atLeast = 0, timeoutMs = 2000): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs;
  await new Promise((r) => setImmediate(r));
  while (spanExporter.getFinishedSpans().length < atLeast && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return spanExporter.getFinishedSpans();
}

/** The one span named `name` (and of `kind`, if given); anything else fails the test, listing the spans there are. */
export function spanNamed(spans: ReadableSpan[], name: string, kind?: SpanKind): ReadableSpan {
  const found = spansNamed(spans, name, kind);
  if (found.length !== 1) throw new Error(`expected one span "${name}", got ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0];
}

/** Every span named `name` (and of `kind`, if given). */
export function spansNamed(spans: ReadableSpan[], name: string, kind?: SpanKind): ReadableSpan[] {
  return spans.filter((s) => s.name === name && (kind === undefined || s.kind === kind));
}

/** The span id of a span's parent (`parentSpanContext` on OpenTelemetry JS 2.x and 3.x). */
export function parentOf(span: ReadableSpan): string | undefined {
  return (span as unknown as { parentSpanContext?: { spanId: string } }).parentSpanContext?.spanId;
}

export async function collectMetrics(): Promise<MetricData[]> {
  const { resourceMetrics, errors } = await metricReader.collect();
  if (errors.length) throw errors[0];
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
}

export async function histogramPoints(name: string): Promise<Array<DataPoint<Histogram>>> {
  const metric = (await collectMetrics()).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []) as Array<DataPoint<Histogram>>;
}

/** The histogram point whose attributes equal `attributes` exactly. */
export async function histogramPoint(name: string, attributes: Attributes): Promise<DataPoint<Histogram> | undefined> {
  const key = JSON.stringify(Object.entries(attributes).sort());
  return (await histogramPoints(name)).find((p) => JSON.stringify(Object.entries(p.attributes).sort()) === key);
}
