/*
 * The client side (the conventions' `mcp.client` span): a real SDK 1.x Client, instrumented, talking to a real
 * McpServer (instrumented too) in memory and over Streamable HTTP on 127.0.0.1. Every request and notification
 * the client sends becomes a CLIENT span whose context reaches the server in `params._meta`, so the server span is
 * its child; the caller's message is not changed; errors follow the sender's rules; metrics have the conventions'
 * names, units and attributes; `client: false` and `disable()` leave the Client as it was.
 */
import { propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import * as clientModule from '@modelcontextprotocol/sdk/client/index.js';
import { z } from 'zod';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHttpMcpServer } from '../helpers/http-server';
import type { HttpMcpServer } from '../helpers/http-server';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Connected } from '../helpers/server';
import { connectInMemory, createTestServer } from '../helpers/server';
import { finishedSpans, histogramPoints, instrument, parentOf, resetTelemetry, spanNamed } from '../helpers/telemetry';
import type { McpInstrumentation } from '../../dist/cjs/index.js';
import { waitUntil } from '../helpers/wait';

let instrumentation: McpInstrumentation;
const ORIGINAL = Object.fromEntries(
  ['connect', '_onresponse', '_onclose', 'close'].map((name) => [name, Object.getOwnPropertyDescriptor(Client.prototype, name)]),
);

beforeAll(async () => {
  instrumentation = await instrument({ client: true });
  instrumentation.instrument(clientModule);
});

const clientSpans = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.CLIENT);
const serverSpans = (spans: ReadableSpan[]) => spans.filter((s) => s.kind === SpanKind.SERVER);

describe('client spans, in memory', () => {
  let conn: Connected;
  let seenMeta: Record<string, unknown> | undefined;
  beforeEach(async () => {
    resetTelemetry();
    const server = createTestServer();
    server.registerTool('meta', {}, async (extra) => {
      seenMeta = extra._meta as Record<string, unknown> | undefined;
      return { content: [] };
    });
    conn = await connectInMemory(server);
  });
  afterEach(async () => {
    await conn.close();
  });

  it('initialize and notifications/initialized become CLIENT spans, each the parent of its SERVER span', async () => {
    const spans = await finishedSpans(4);
    for (const name of ['initialize', 'notifications/initialized']) {
      const sent = spanNamed(spans, name, SpanKind.CLIENT);
      const received = spanNamed(spans, name, SpanKind.SERVER);
      expect(received.spanContext().traceId).toBe(sent.spanContext().traceId);
      expect(parentOf(received)).toBe(sent.spanContext().spanId);
      expect(sent.attributes['mcp.method.name']).toBe(name);
    }
    expect(spanNamed(spans, 'initialize', SpanKind.CLIENT).attributes['jsonrpc.request.id']).toBe('0');
    expect(spanNamed(spans, 'notifications/initialized', SpanKind.CLIENT).attributes['jsonrpc.request.id']).toBeUndefined();
    // The negotiated version is known from the initialize response on.
    expect(spanNamed(spans, 'notifications/initialized', SpanKind.CLIENT).attributes['mcp.protocol.version']).toBe('2025-11-25');
  });

  it('tools/call: named and attributed by the conventions, child of the caller’s span, parent of the server span', async () => {
    resetTelemetry();
    await trace.getTracer('agent').startActiveSpan('invoke_agent weather', async (agent) => {
      await conn.client.callTool({ name: 'echo', arguments: { text: 'hi' } });
      agent.end();
    });
    const spans = await finishedSpans(3);
    const agent = spanNamed(spans, 'invoke_agent weather');
    const sent = spanNamed(spans, 'tools/call echo', SpanKind.CLIENT);
    const received = spanNamed(spans, 'tools/call echo', SpanKind.SERVER);
    expect(parentOf(sent)).toBe(agent.spanContext().spanId);
    expect(parentOf(received)).toBe(sent.spanContext().spanId);
    expect(sent.attributes).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'jsonrpc.request.id': received.attributes['jsonrpc.request.id'],
      'mcp.protocol.version': '2025-11-25',
    });
    expect(sent.attributes['error.type']).toBeUndefined();
    expect(sent.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('puts traceparent in _meta of a copy: the caller’s params are untouched and its own _meta keys win', async () => {
    const request = { name: 'meta', arguments: {}, _meta: { 'example.com/tenant': 'acme' } };
    const before = JSON.stringify(request);
    await conn.client.callTool(request);
    expect(JSON.stringify(request)).toBe(before);
    expect(seenMeta?.['example.com/tenant']).toBe('acme');
    const sent = spanNamed(await finishedSpans(), 'tools/call meta', SpanKind.CLIENT);
    expect(seenMeta?.traceparent).toBe(`00-${sent.spanContext().traceId}-${sent.spanContext().spanId}-01`);

    const own = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await conn.client.callTool({ name: 'meta', arguments: {}, _meta: { traceparent: own } });
    expect(seenMeta?.traceparent).toBe(own);
  });

  it('errors by the sender’s rules: every JSON-RPC error code, tool_error, timeout, cancelled', async () => {
    resetTelemetry();
    await expect(conn.client.getPrompt({ name: 'no-such-prompt' })).rejects.toThrow();
    await conn.client.callTool({ name: 'soft-fail', arguments: {} });
    await expect(conn.client.callTool({ name: 'slow', arguments: {} }, undefined, { timeout: 50 })).rejects.toThrow(/timed out/i);
    const abort = new AbortController();
    const aborted = conn.client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: abort.signal });
    abort.abort('the user pressed stop');
    await expect(aborted).rejects.toThrow();
    const spans = clientSpans(await finishedSpans());

    const prompt = spanNamed(spans, 'prompts/get no-such-prompt');
    // A caller fault on the server (no error.type there) is an error for the sender.
    expect(prompt.attributes['rpc.response.status_code']).toBe('-32602');
    expect(prompt.attributes['error.type']).toBe('-32602');
    expect(prompt.status.code).toBe(SpanStatusCode.ERROR);
    const received = spanNamed(await finishedSpans(), 'prompts/get no-such-prompt', SpanKind.SERVER);
    expect(received.attributes['error.type']).toBeUndefined();

    expect(spanNamed(spans, 'tools/call soft-fail').attributes['error.type']).toBe('tool_error');
    const slow = spans.filter((s) => s.name === 'tools/call slow').map((s) => s.attributes['error.type']);
    expect(slow).toEqual(['timeout', 'cancelled']);
    // The SDK tells the server with notifications/cancelled, which is a CLIENT span of its own.
    expect(spans.filter((s) => s.name === 'notifications/cancelled')).toHaveLength(2);
  });

  it('never hurts the caller: a propagator that throws leaves the request as it was, and its span still ends', async () => {
    const throwing: TextMapPropagator = {
      inject: () => {
        throw new Error('propagator exploded');
      },
      extract: (ctx) => ctx,
      fields: () => [],
    };
    propagation.disable();
    propagation.setGlobalPropagator(throwing);
    try {
      resetTelemetry();
      const result = await conn.client.callTool({ name: 'echo', arguments: { text: 'still works' } });
      expect(result.content).toEqual([{ type: 'text', text: 'still works' }]);
    } finally {
      propagation.disable();
      propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
    }
    const sent = spanNamed(await finishedSpans(), 'tools/call echo', SpanKind.CLIENT);
    expect(sent.attributes['error.type']).toBeUndefined();
  });

  it('mcp.client.operation.duration: seconds, the conventions’ buckets and low-cardinality attributes', async () => {
    await conn.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    const points = await histogramPoints('mcp.client.operation.duration');
    const call = points.find((p) => p.attributes['gen_ai.tool.name'] === 'echo');
    expect(call?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.protocol.version': '2025-11-25',
    });
    expect(call!.value.count).toBeGreaterThanOrEqual(1);
    expect(call!.value.buckets.boundaries).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);
    for (const p of points) {
      for (const key of ['jsonrpc.request.id', 'mcp.session.id']) expect(p.attributes[key]).toBeUndefined();
    }
  });
});

describe('client sessions and the connection closing', () => {
  const sessionPoints = async () => (await histogramPoints('mcp.client.session.duration')).map((p) => ({ attributes: p.attributes, count: p.value.count }));

  it('a session the client closes ends without error.type; one the server closes with connection_closed', async () => {
    const byClient = await connectInMemory();
    await byClient.close();
    const closedByClient = (await sessionPoints()).find((p) => p.attributes['error.type'] === undefined);
    expect(closedByClient?.count).toBeGreaterThanOrEqual(1);
    expect(closedByClient?.attributes['mcp.protocol.version']).toBe('2025-11-25');

    let release!: () => void;
    let started = false;
    const conn = await connectInMemory(createTestServer({ release: new Promise<void>((r) => (release = r)), onSlowStarted: () => (started = true) }));
    resetTelemetry();
    const pending = conn.client.callTool({ name: 'slow', arguments: {} });
    await waitUntil(() => started, 5000, 'the slow call to start');
    await conn.server.close(); // the peer goes away with the request in flight
    await expect(pending).rejects.toThrow();
    release();
    const inFlight = spanNamed(await finishedSpans(), 'tools/call slow', SpanKind.CLIENT);
    expect(inFlight.attributes['error.type']).toBe('connection_closed');
    const closedByServer = (await sessionPoints()).find((p) => p.attributes['error.type'] === 'connection_closed');
    expect(closedByServer?.count).toBe(1);
    await conn.client.close();
  });
});

describe('client spans over Streamable HTTP', () => {
  let http: HttpMcpServer;
  beforeAll(async () => {
    http = await startHttpMcpServer({ mode: 'stateful' });
  });
  afterAll(async () => {
    await http.close();
  });

  it('carry server.address, server.port, network.* and the Mcp-Session-Id; the server span is their child', async () => {
    resetTelemetry();
    const client = new Client({ name: 'http-agent', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(http.url);
    await client.connect(transport);
    await client.callTool({ name: 'echo', arguments: { text: 'over http' } });
    const sessionId = transport.sessionId;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await transport.terminateSession();
    await client.close();
    const spans = await finishedSpans();
    const sent = spanNamed(spans, 'tools/call echo', SpanKind.CLIENT);
    const received = spanNamed(spans, 'tools/call echo', SpanKind.SERVER);
    expect(parentOf(received)).toBe(sent.spanContext().spanId);
    expect(received.attributes['mcp.session.id']).toBe(sessionId);
    expect(sent.attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': Number(http.url.port),
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'mcp.session.id': sessionId,
    });
    const point = (await histogramPoints('mcp.client.operation.duration')).find((p) => p.attributes['server.port'] === Number(http.url.port) && p.attributes['gen_ai.tool.name'] === 'echo');
    expect(point?.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'network.transport': 'tcp', 'network.protocol.name': 'http' });
    expect(point?.attributes['mcp.session.id']).toBeUndefined();
  });
});

describe('a second instrumentation', () => {
  it('does not patch the Client twice: one CLIENT span per request, and its disable() leaves the first one’s patch', async () => {
    const { McpInstrumentation: Instrumentation } = await import('../../dist/cjs/index.js');
    const second = new Instrumentation({ client: true });
    expect(second.instrument(clientModule)).toBe(false);
    const conn = await connectInMemory();
    resetTelemetry();
    await conn.client.ping();
    second.disable();
    await conn.client.ping();
    await conn.close();
    expect(clientSpans(await finishedSpans()).filter((s) => s.name === 'ping')).toHaveLength(2);
  });
});

describe('switching the client side off', () => {
  it('client: false leaves the Client unpatched; disable() restores it exactly, enable() patches it again', async () => {
    instrumentation.setConfig({ client: false });
    instrumentation.disable();
    instrumentation.enable();
    for (const [name, descriptor] of Object.entries(ORIGINAL)) expect(Object.getOwnPropertyDescriptor(Client.prototype, name)).toEqual(descriptor);
    resetTelemetry();
    const [a, b] = InMemoryTransport.createLinkedPair();
    const server = createTestServer();
    server.registerTool('noop', { inputSchema: { n: z.number().optional() } }, async () => ({ content: [] }));
    await server.connect(a);
    const client = new Client({ name: 'quiet', version: '1' });
    await client.connect(b);
    await client.callTool({ name: 'noop', arguments: {} });
    await client.close();
    await server.close();
    expect(clientSpans(await finishedSpans())).toEqual([]);
    expect(serverSpans(await finishedSpans()).map((s) => s.name)).toContain('tools/call noop');

    instrumentation.setConfig({ client: true });
    instrumentation.disable();
    instrumentation.enable();
    expect(Object.getOwnPropertyDescriptor(Client.prototype, 'connect')).not.toEqual(ORIGINAL.connect);
  });
});
