import { context, propagation, trace } from '@opentelemetry/api';
import { z } from 'zod';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Connected } from '../helpers/server';
import { connectInMemory, createTestServer } from '../helpers/server';
import { finishedSpans, instrument, resetTelemetry, spanNamed } from '../helpers/telemetry';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

describe('trace context from params._meta', () => {
  let conn: Connected;
  let seenInHandler: { spanName?: string; baggage?: string } = {};
  beforeAll(async () => {
    await instrument();
  });
  beforeEach(async () => {
    const server = createTestServer();
    server.registerTool('nested', { inputSchema: { n: z.number().optional() } }, async () => {
      seenInHandler = {
        spanName: (trace.getActiveSpan() as unknown as { name?: string } | undefined)?.name,
        baggage: propagation.getBaggage(context.active())?.getEntry('tenant')?.value,
      };
      trace.getTracer('user-code').startActiveSpan('user work', (span) => span.end());
      return { content: [] };
    });
    conn = await connectInMemory(server);
    await finishedSpans(2);
    resetTelemetry();
  });
  afterEach(async () => {
    await conn.close();
  });

  it('parents the server span on _meta.traceparent and exposes baggage to the handler', async () => {
    await conn.client.callTool({
      name: 'nested',
      arguments: {},
      _meta: { traceparent: TRACEPARENT, tracestate: 'vendor=abc', baggage: 'tenant=acme' },
    });
    const spans = await finishedSpans(2);
    const server = spanNamed(spans, 'tools/call nested');
    expect(server.spanContext().traceId).toBe(TRACE_ID);
    expect(server.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(server.parentSpanContext?.isRemote).toBe(true);
    expect(server.spanContext().traceState?.get('vendor')).toBe('abc');
    expect(seenInHandler).toEqual({ spanName: 'tools/call nested', baggage: 'acme' });
    const child = spanNamed(spans, 'user work');
    expect(child.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(child.spanContext().traceId).toBe(TRACE_ID);
  });

  it('links an ambient span instead of using it as the parent', async () => {
    const tracer = trace.getTracer('test');
    const ambient = tracer.startSpan('ambient transport span');
    await context.with(trace.setSpan(context.active(), ambient), () =>
      conn.client.callTool({ name: 'nested', arguments: {}, _meta: { traceparent: TRACEPARENT } }),
    );
    ambient.end();
    const server = spanNamed(await finishedSpans(3), 'tools/call nested');
    expect(server.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(server.links.map((l) => l.context.spanId)).toEqual([ambient.spanContext().spanId]);
  });

  it('without _meta, an ambient span is linked and the server span is a root', async () => {
    const ambient = trace.getTracer('test').startSpan('ambient');
    await context.with(trace.setSpan(context.active(), ambient), () => conn.client.callTool({ name: 'nested', arguments: {} }));
    ambient.end();
    const server = spanNamed(await finishedSpans(3), 'tools/call nested');
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).not.toBe(ambient.spanContext().traceId);
    expect(server.links.map((l) => l.context.spanId)).toEqual([ambient.spanContext().spanId]);
  });

  for (const [label, meta] of [
    ['invalid traceparent', { traceparent: 'garbage' }],
    ['oversized traceparent', { traceparent: `00-${'a'.repeat(5000)}-${PARENT_ID}-01` }],
    ['non-string values', { traceparent: 42, baggage: { nested: true } }],
  ] as const) {
    it(`starts a root span for ${label} and the call succeeds`, async () => {
      const result = await conn.client.request(
        { method: 'tools/call', params: { name: 'nested', arguments: {}, _meta: meta as never } },
        z.any(),
      );
      expect(result.isError).toBeUndefined();
      const server = spanNamed(await finishedSpans(2), 'tools/call nested');
      expect(server.parentSpanContext).toBeUndefined();
    });
  }
});

describe('parentFromMeta (unit)', () => {
  it('tolerates any _meta shape (the SDK drops such requests itself, so they never reach a handler)', async () => {
    const { parentFromMeta } = await import('../../dist/cjs/internal.js');
    for (const meta of ['a string', [1, 2], null, 42, undefined, { traceparent: ['x'] }]) {
      const { parent, links } = parentFromMeta({ _meta: meta as never });
      expect(trace.getSpanContext(parent)).toBeUndefined();
      expect(links).toBeUndefined();
    }
    const { parent } = parentFromMeta({ _meta: { traceparent: TRACEPARENT } });
    expect(trace.getSpanContext(parent)?.spanId).toBe(PARENT_ID);
  });
});
