/*
 * What a sampler sees, and what a sampled-out request still records: the sampler gets the message's own
 * attributes (method, target, request id) and the session id at span start; the connection's other
 * attributes go only on spans that record; metrics do not depend on sampling.
 */
import type { Attributes, Context, Link, SpanKind } from '@opentelemetry/api';
import { SamplingDecision, TracerProvider } from '@opentelemetry/sdk-trace';
import type { Sampler, SamplingResult } from '@opentelemetry/sdk-trace';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectInMemory } from '../helpers/server';
import type { Connected } from '../helpers/server';
import { histogramPoints, instrument } from '../helpers/telemetry';
import type { McpInstrumentation } from '../../dist/cjs/index.js';

/** Records what it is asked and drops every `tools/call` of the tool `echo` (a sampler keyed on the target). */
class DropEchoSampler implements Sampler {
  readonly seen: Array<{ name: string; attributes: Attributes }> = [];
  shouldSample(_context: Context, _traceId: string, name: string, _kind: SpanKind, attributes: Attributes, _links: Link[]): SamplingResult {
    this.seen.push({ name, attributes: { ...attributes } });
    return { decision: attributes['gen_ai.tool.name'] === 'echo' ? SamplingDecision.NOT_RECORD : SamplingDecision.RECORD_AND_SAMPLED };
  }
  toString(): string {
    return 'DropEchoSampler';
  }
}

describe('sampling', () => {
  const sampler = new DropEchoSampler();
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ sampler, spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  let instrumentation: McpInstrumentation;
  let conn: Connected;

  beforeAll(async () => {
    instrumentation = await instrument();
    instrumentation.setTracerProvider(provider);
    conn = await connectInMemory();
    await conn.client.callTool({ name: 'echo', arguments: { text: 'dropped' } });
    await conn.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
  });
  afterAll(async () => {
    await conn.close();
    await provider.shutdown();
  });

  it('a sampler sees the method, the target, the request id and the session id at span start', () => {
    const calls = sampler.seen.filter((s) => s.attributes['mcp.method.name'] === 'tools/call');
    expect(calls.map((c) => c.name)).toEqual(['tools/call echo', 'tools/call add']);
    for (const call of calls) {
      expect(call.attributes).toEqual({
        'mcp.method.name': 'tools/call',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': call.name.slice('tools/call '.length),
        'jsonrpc.request.id': expect.stringMatching(/^\d+$/),
        'mcp.session.id': expect.stringMatching(/^[0-9a-f-]{36}$/),
      });
    }
  });

  it('a sampled-out call exports no span; a sampled one carries the connection attributes too', () => {
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).not.toContain('tools/call echo');
    const add = spans.find((s) => s.name === 'tools/call add');
    expect(add?.attributes).toMatchObject({
      'gen_ai.tool.name': 'add',
      'mcp.client.name': 'test-client',
      'mcp.client.version': '2.0.0',
      'mcp.client.type': 'other',
      'mcp.client.tracking_id': expect.stringMatching(/^[0-9a-f]{16}$/),
      'mcp.protocol.version': '2025-11-25',
    });
  });

  it('the duration metric records sampled-out calls with their full attributes', async () => {
    const points = await histogramPoints('mcp.server.operation.duration');
    const echo = points.filter((p) => p.attributes['gen_ai.tool.name'] === 'echo');
    expect(echo).toHaveLength(1);
    expect(echo[0].value.count).toBe(1);
    expect(echo[0].attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.client.type': 'other',
      'mcp.protocol.version': '2025-11-25',
    });
  });
});
