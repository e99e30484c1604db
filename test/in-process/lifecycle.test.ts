/*
 * Runs in its own process (vitest forks per file): the instrumentation is
 * created before any OpenTelemetry provider exists, and providers are then
 * registered globally only, the way an application would.
 */
import { metrics } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import * as serverModule from '@modelcontextprotocol/sdk/server/index.js';
import { describe, expect, it } from 'vitest';
import { McpInstrumentation } from '../../dist/cjs/index.js';
import { registerTracing } from '../helpers/otel-sdk';
import { connectInMemory } from '../helpers/server';
import { settle } from '../helpers/wait';

const ownKeys = () => Object.getOwnPropertyNames(serverModule.Server.prototype).sort();
const pristine = ownKeys();
const pristineOnRequest = serverModule.Server.prototype as unknown as { _onrequest: unknown };
const inheritedOnRequest = pristineOnRequest._onrequest;

// Created first, disabled, before any provider is registered.
const instrumentation = new McpInstrumentation({ enabled: false, client: false });
instrumentation.instrument(serverModule);

const spans = new InMemorySpanExporter();
registerTracing([new SimpleSpanProcessor({ exporter: spans })]);
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
const reader = new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 });
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

describe('enable/disable lifecycle with global providers only', () => {
  it('does nothing while disabled and leaves the prototype untouched', async () => {
    expect(instrumentation.isEnabled()).toBe(false);
    expect(ownKeys()).toEqual(pristine);
    const conn = await connectInMemory();
    await conn.client.listTools();
    await settle();
    expect(spans.getFinishedSpans()).toHaveLength(0);
    await conn.close();
  });

  it('instruments a server that was connected before enable(), and enable() is idempotent', async () => {
    const conn = await connectInMemory();
    instrumentation.enable();
    instrumentation.enable();
    await conn.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await settle();
    const names = spans.getFinishedSpans().map((s) => s.name);
    expect(names).toEqual(['tools/call add']);
    // client info was sent before enable(): read back from the server
    expect(spans.getFinishedSpans()[0].attributes['mcp.client.name']).toBe('test-client');
    await conn.close();
  });

  it('records metrics through a meter provider registered after the instrumentation was created', async () => {
    await reader.forceFlush();
    const points = metricExporter
      .getMetrics()
      .flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics))
      .filter((m) => m.descriptor.name === 'mcp.server.operation.duration')
      .flatMap((m): Array<{ attributes: Attributes }> => m.dataPoints);
    expect(points.some((p) => p.attributes['gen_ai.tool.name'] === 'add')).toBe(true);
  });

  it('disable() restores the prototype exactly and stops telemetry; it is idempotent and reversible', async () => {
    spans.reset();
    instrumentation.disable();
    instrumentation.disable();
    expect(ownKeys()).toEqual(pristine);
    expect(pristineOnRequest._onrequest).toBe(inheritedOnRequest);
    const conn = await connectInMemory();
    await conn.client.listTools();
    await settle();
    expect(spans.getFinishedSpans()).toHaveLength(0);

    instrumentation.enable();
    await conn.client.listTools();
    await settle();
    expect(spans.getFinishedSpans().map((s) => s.name)).toEqual(['tools/list']);
    await conn.close();
  });

  it('a second instrumentation does not patch twice', async () => {
    spans.reset();
    const second = new McpInstrumentation({ client: false });
    expect(second.instrument(serverModule)).toBe(false);
    const conn = await connectInMemory();
    await conn.client.ping();
    await settle();
    expect(spans.getFinishedSpans().filter((s) => s.name === 'ping')).toHaveLength(1);
    second.disable();
    await conn.client.ping();
    await settle();
    expect(spans.getFinishedSpans().filter((s) => s.name === 'ping')).toHaveLength(2);
    await conn.close();
  });
});
