import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Connected } from '../helpers/server';
import { connectInMemory } from '../helpers/server';
import { finishedSpans, histogramPoint, instrument, resetTelemetry, spanNamed } from '../helpers/telemetry';

const TRACKING_ID = expect.stringMatching(/^[0-9a-f]{16}$/);
const GENERATED_SESSION_ID = expect.stringMatching(/^[0-9a-f-]{36}$/);
const CONNECTION = {
  'mcp.client.name': 'test-client',
  'mcp.client.version': '2.0.0',
  'mcp.client.type': 'other',
  'mcp.client.tracking_id': TRACKING_ID,
  'mcp.protocol.version': '2025-11-25',
  'mcp.session.id': GENERATED_SESSION_ID,
};

describe('every method the SDK serves gets a SERVER span and a metric point', () => {
  let conn: Connected;
  beforeAll(async () => {
    await instrument();
  });
  beforeEach(async () => {
    resetTelemetry();
    conn = await connectInMemory();
  });
  afterEach(async () => {
    await conn.close();
  });

  it('initialize and notifications/initialized', async () => {
    const spans = await finishedSpans(2);
    const init = spanNamed(spans, 'initialize');
    expect(init.kind).toBe(SpanKind.SERVER);
    expect(init.attributes).toEqual({
      ...CONNECTION,
      'mcp.method.name': 'initialize',
      'jsonrpc.request.id': '0',
      'mcp.client.capabilities': ['roots'],
    });
    expect(init.status.code).toBe(SpanStatusCode.UNSET);
    const initialized = spanNamed(spans, 'notifications/initialized');
    expect(initialized.kind).toBe(SpanKind.SERVER);
    expect(initialized.attributes).toEqual({ ...CONNECTION, 'mcp.method.name': 'notifications/initialized' });
    expect(initialized.attributes['jsonrpc.request.id']).toBeUndefined();
  });

  const cases: Array<{ name: string; call: (c: Connected['client']) => Promise<unknown>; span: string; attrs: Attributes }> = [
    { name: 'ping', call: (c) => c.ping(), span: 'ping', attrs: { 'mcp.method.name': 'ping' } },
    { name: 'tools/list', call: (c) => c.listTools(), span: 'tools/list', attrs: { 'mcp.method.name': 'tools/list' } },
    {
      name: 'tools/call',
      call: (c) => c.callTool({ name: 'add', arguments: { a: 1, b: 2 } }),
      span: 'tools/call add',
      attrs: { 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'add', 'gen_ai.operation.name': 'execute_tool' },
    },
    { name: 'resources/list', call: (c) => c.listResources(), span: 'resources/list', attrs: { 'mcp.method.name': 'resources/list' } },
    {
      name: 'resources/templates/list',
      call: (c) => c.listResourceTemplates(),
      span: 'resources/templates/list',
      attrs: { 'mcp.method.name': 'resources/templates/list' },
    },
    {
      name: 'resources/read',
      call: (c) => c.readResource({ uri: 'users://42' }),
      span: 'resources/read',
      attrs: { 'mcp.method.name': 'resources/read', 'mcp.resource.uri': 'users://42' },
    },
    { name: 'prompts/list', call: (c) => c.listPrompts(), span: 'prompts/list', attrs: { 'mcp.method.name': 'prompts/list' } },
    {
      name: 'prompts/get',
      call: (c) => c.getPrompt({ name: 'greet', arguments: { name: 'alice' } }),
      span: 'prompts/get greet',
      attrs: { 'mcp.method.name': 'prompts/get', 'gen_ai.prompt.name': 'greet' },
    },
    {
      name: 'completion/complete',
      call: (c) => c.complete({ ref: { type: 'ref/prompt', name: 'greet' }, argument: { name: 'name', value: 'al' } }),
      span: 'completion/complete',
      attrs: { 'mcp.method.name': 'completion/complete' },
    },
    {
      name: 'logging/setLevel',
      call: (c) => c.setLoggingLevel('warning'),
      span: 'logging/setLevel',
      attrs: { 'mcp.method.name': 'logging/setLevel' },
    },
  ];

  for (const tc of cases) {
    it(tc.name, async () => {
      await finishedSpans(2);
      resetTelemetry();
      await tc.call(conn.client);
      const span = spanNamed(await finishedSpans(1), tc.span);
      expect(span.kind).toBe(SpanKind.SERVER);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(span.attributes).toEqual({ ...CONNECTION, ...tc.attrs, 'jsonrpc.request.id': span.attributes['jsonrpc.request.id'] });
      expect(span.attributes['jsonrpc.request.id']).toMatch(/^\d+$/);
      expect(span.parentSpanContext).toBeUndefined();
      const lowCardinality: Attributes = { 'mcp.protocol.version': '2025-11-25', 'mcp.client.type': 'other' };
      for (const key of ['mcp.method.name', 'gen_ai.tool.name', 'gen_ai.prompt.name', 'gen_ai.operation.name']) {
        if (tc.attrs[key] !== undefined) lowCardinality[key] = tc.attrs[key];
      }
      const point = await histogramPoint('mcp.server.operation.duration', lowCardinality);
      expect(point, `metric point with ${JSON.stringify(lowCardinality)}`).toBeDefined();
      expect(point!.value.count).toBeGreaterThanOrEqual(1);
      expect(point!.value.sum).toBeGreaterThan(0);
    });
  }

  it('client notifications without a handler still get a span', async () => {
    await finishedSpans(2);
    resetTelemetry();
    await conn.client.sendRootsListChanged();
    const span = spanNamed(await finishedSpans(1), 'notifications/roots/list_changed');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes['mcp.method.name']).toBe('notifications/roots/list_changed');
  });

  it('never puts the resource URI in the span name by default', async () => {
    await conn.client.readResource({ uri: 'file:///readme.md' });
    const spans = await finishedSpans(3);
    expect(spans.some((s) => s.name.includes('file:'))).toBe(false);
  });
});

describe('metric instrument', () => {
  it('is a histogram in seconds with the semconv buckets', async () => {
    await instrument();
    const conn = await connectInMemory();
    await conn.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await finishedSpans(3);
    const { collectMetrics } = await import('../helpers/telemetry');
    const metric = (await collectMetrics()).find((m) => m.descriptor.name === 'mcp.server.operation.duration');
    expect(metric?.descriptor.unit).toBe('s');
    const point = metric!.dataPoints[0] as { value: { buckets: { boundaries: number[] } } };
    expect(point.value.buckets.boundaries).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
    for (const p of metric!.dataPoints) {
      for (const key of Object.keys(p.attributes)) {
        expect(['jsonrpc.request.id', 'mcp.session.id', 'client.address', 'mcp.client.name', 'mcp.client.tracking_id']).not.toContain(key);
      }
    }
    await conn.close();
  });
});
