/*
 * The client side with SDK 2.x: a real `@modelcontextprotocol/client` Client (its own bundled Protocol) against a
 * real 2.x McpServer, in memory (the initialize era) and through `createMcpHandler` in the stateless 2026-07-28
 * revision (server/discover, the `_meta` envelope on every request, no session). CLIENT spans parent the server
 * spans in both; the envelope the SDK adds is kept next to the trace context.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import * as clientV2 from '@modelcontextprotocol/client';
import * as serverV2 from '@modelcontextprotocol/server';
import { SpanKind } from '@opentelemetry/api';
import { z } from 'zod/v4';
import { v2Schema } from '../helpers/v2-schema';
import { beforeAll, describe, expect, it } from 'vitest';
import { finishedSpans, histogramPoints, instrument, parentOf, resetTelemetry, spansNamed } from '../helpers/telemetry';

beforeAll(async () => {
  const instrumentation = await instrument({ client: true });
  instrumentation.instrument(serverV2);
  instrumentation.instrument(clientV2);
});


function addServer(): serverV2.McpServer {
  const server = new serverV2.McpServer({ name: 'v2', version: '1' });
  server.registerTool('add', { inputSchema: v2Schema(z.object({ a: z.number(), b: z.number() })) }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  return server;
}

describe('SDK 2.x Client', () => {
  it('in memory: CLIENT spans for initialize, notifications/initialized and tools/call, each the parent of its SERVER span', async () => {
    resetTelemetry();
    const [a, b] = serverV2.InMemoryTransport.createLinkedPair();
    await addServer().connect(a);
    const client = new Client({ name: 'v2-agent', version: '2' });
    await client.connect(b);
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
    await client.close();
    const spans = await finishedSpans();
    for (const name of ['initialize', 'notifications/initialized', 'tools/call add']) {
      const [sent] = spansNamed(spans, name, SpanKind.CLIENT);
      const [received] = spansNamed(spans, name, SpanKind.SERVER);
      expect(sent, `${name} CLIENT`).toBeDefined();
      expect(parentOf(received), `${name} SERVER parent`).toBe(sent.spanContext().spanId);
    }
    expect(spansNamed(spans, 'tools/call add', SpanKind.CLIENT)[0].attributes).toMatchObject({ 'gen_ai.tool.name': 'add', 'mcp.protocol.version': '2025-11-25' });
    const session = await histogramPoints('mcp.client.session.duration');
    expect(session.some((p) => p.attributes['error.type'] === undefined && p.value.count >= 1)).toBe(true);
  });

  it('stateless 2026-07-28 revision: server/discover and tools/call traced end to end, the envelope kept', async () => {
    resetTelemetry();
    const handler = serverV2.createMcpHandler(addServer, { legacy: 'reject' });
    const bodies: string[] = [];
    const fetchToHandler = async (url: string | URL, init?: RequestInit) => {
      if (typeof init?.body === 'string') bodies.push(init.body);
      return handler.fetch(new Request(url, init));
    };
    const client = new Client({ name: 'Claude Code', version: '3.1' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL('http://127.0.0.1:9/mcp'), { fetch: fetchToHandler }));
    expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 2 } })).content).toEqual([{ type: 'text', text: '4' }]);
    await client.close();
    const call = bodies.map((b) => JSON.parse(b)).find((m) => m.method === 'tools/call');
    expect(call.params._meta['io.modelcontextprotocol/clientInfo']).toEqual({ name: 'Claude Code', version: '3.1' });
    expect(call.params._meta.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    const spans = await finishedSpans();
    for (const name of ['server/discover', 'tools/call add']) {
      const [sent] = spansNamed(spans, name, SpanKind.CLIENT);
      const [received] = spansNamed(spans, name, SpanKind.SERVER);
      expect(sent, `${name} CLIENT`).toBeDefined();
      expect(parentOf(received), `${name} SERVER parent`).toBe(sent.spanContext().spanId);
      expect(received.attributes['mcp.client.name']).toBe('Claude Code');
    }
    const [sent] = spansNamed(spans, 'tools/call add', SpanKind.CLIENT);
    expect(sent.attributes).toMatchObject({ 'mcp.protocol.version': '2026-07-28', 'server.address': '127.0.0.1', 'server.port': 9, 'network.protocol.name': 'http' });
    expect(sent.attributes['mcp.session.id']).toBeUndefined();
  });
});
