import { SpanStatusCode } from '@opentelemetry/api';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpError, SubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Connected } from '../helpers/server';
import { connectInMemory, createTestServer } from '../helpers/server';
import { finishedSpans, histogramPoint, instrument, resetTelemetry, spanNamed } from '../helpers/telemetry';

const anyResult = z.any();

describe('error classification (server side, semantic conventions after genai #404)', () => {
  let conn: Connected;
  let release: () => void;
  let slowStarted: Promise<void>;
  beforeAll(async () => {
    await instrument();
  });
  beforeEach(async () => {
    const released = new Promise<void>((r) => (release = r));
    let started!: () => void;
    slowStarted = new Promise<void>((r) => (started = r));
    const server = createTestServer({ release: released, onSlowStarted: () => started() });
    server.server.registerCapabilities({ resources: { subscribe: true } });
    server.server.setRequestHandler(SubscribeRequestSchema, async (req) => {
      throw new McpError(-32603, `database down while subscribing ${req.params.uri}`);
    });
    conn = await connectInMemory(server);
    await finishedSpans(2);
    resetTelemetry();
  });
  afterEach(async () => {
    release();
    await conn.close();
  });

  it('unknown method: -32601 recorded, caller fault, not an error', async () => {
    await expect(conn.client.request({ method: 'vendor/unknown', params: {} }, anyResult)).rejects.toThrow(/Method not found/);
    const span = spanNamed(await finishedSpans(1), 'vendor/unknown');
    expect(span.attributes['mcp.method.name']).toBe('vendor/unknown');
    expect(span.attributes['rpc.response.status_code']).toBe('-32601');
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    const point = await histogramPoint('mcp.server.operation.duration', {
      'mcp.method.name': 'vendor/unknown',
      'mcp.protocol.version': '2025-11-25',
      'mcp.client.type': 'other',
      'rpc.response.status_code': '-32601',
    });
    expect(point?.value.count).toBe(1);
  });

  it('unknown prompt: -32602, not an error', async () => {
    await expect(conn.client.getPrompt({ name: 'missing' })).rejects.toThrow();
    const span = spanNamed(await finishedSpans(1), 'prompts/get missing');
    expect(span.attributes['gen_ai.prompt.name']).toBe('missing');
    expect(span.attributes['rpc.response.status_code']).toBe('-32602');
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('unknown resource: -32602, not an error', async () => {
    await expect(conn.client.readResource({ uri: 'nothing://here' })).rejects.toThrow();
    const span = spanNamed(await finishedSpans(1), 'resources/read');
    expect(span.attributes['mcp.resource.uri']).toBe('nothing://here');
    expect(span.attributes['rpc.response.status_code']).toBe('-32602');
    expect(span.attributes['error.type']).toBeUndefined();
  });

  it('request that fails the method schema (SDK 1.x answers -32603): recorded as sent, classified as caller fault', async () => {
    await expect(conn.client.request({ method: 'tools/call', params: { arguments: {} } }, anyResult)).rejects.toThrow();
    const span = spanNamed(await finishedSpans(1), 'tools/call');
    expect(span.attributes['rpc.response.status_code']).toBe('-32603');
    expect(span.attributes['error.type']).toBeUndefined();
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('server error: code recorded as error.type, status ERROR, SDK prefix stripped', async () => {
    await expect(conn.client.subscribeResource({ uri: 'file:///readme.md' })).rejects.toThrow();
    const span = spanNamed(await finishedSpans(1), 'resources/subscribe');
    expect(span.attributes['mcp.resource.uri']).toBe('file:///readme.md');
    expect(span.attributes['rpc.response.status_code']).toBe('-32603');
    expect(span.attributes['error.type']).toBe('-32603');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'database down while subscribing file:///readme.md' });
    const point = await histogramPoint('mcp.server.operation.duration', {
      'mcp.method.name': 'resources/subscribe',
      'mcp.protocol.version': '2025-11-25',
      'mcp.client.type': 'other',
      'rpc.response.status_code': '-32603',
      'error.type': '-32603',
    });
    expect(point?.value.count).toBe(1);
  });

  for (const [tool, args] of [
    ['throws', {}],
    ['soft-fail', {}],
    ['add', { a: 'not a number' }],
    ['no-such-tool', {}],
  ] as const) {
    it(`tool result with isError (${tool}): error.type=tool_error, status ERROR`, async () => {
      const result = await conn.client.callTool({ name: tool, arguments: args });
      expect(result.isError).toBe(true);
      const span = spanNamed(await finishedSpans(1), `tools/call ${tool}`);
      expect(span.attributes['error.type']).toBe('tool_error');
      expect(span.attributes['rpc.response.status_code']).toBeUndefined();
      expect(span.status.code).toBe(SpanStatusCode.ERROR);
      const point = await histogramPoint('mcp.server.operation.duration', {
        'mcp.method.name': 'tools/call',
        'mcp.protocol.version': '2025-11-25',
      'mcp.client.type': 'other',
        'gen_ai.operation.name': 'execute_tool',
        'gen_ai.tool.name': tool,
        'error.type': 'tool_error',
      });
      expect(point?.value.count).toBe(1);
    });
  }

  it('a request cancelled by notifications/cancelled ends with error.type=cancelled', async () => {
    const abort = new AbortController();
    const call = conn.client.callTool({ name: 'slow', arguments: {} }, undefined, { signal: abort.signal });
    await slowStarted;
    abort.abort('user gave up');
    await expect(call).rejects.toThrow();
    const spans = await finishedSpans(2);
    const span = spanNamed(spans, 'tools/call slow');
    expect(span.attributes['error.type']).toBe('cancelled');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
    expect(spanNamed(spans, 'notifications/cancelled').attributes['mcp.method.name']).toBe('notifications/cancelled');
  });

  it('a request cut off by a closing connection ends with error.type=connection_closed', async () => {
    const call = conn.client.callTool({ name: 'slow', arguments: {} });
    await slowStarted;
    await conn.client.close();
    await expect(call).rejects.toThrow();
    const span = spanNamed(await finishedSpans(1), 'tools/call slow');
    expect(span.attributes['error.type']).toBe('connection_closed');
    expect(span.status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('the low-level Server', () => {
  it('is instrumented like McpServer', async () => {
    await instrument();
    resetTelemetry();
    const { ListToolsRequestSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const server = new Server({ name: 'low', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [] }));
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    const client = new Client({ name: 'low-client', version: '3' });
    await client.connect(ct);
    await client.listTools();
    const span = spanNamed(await finishedSpans(3), 'tools/list');
    expect(span.attributes['mcp.client.name']).toBe('low-client');
    await client.close();
  });
});
