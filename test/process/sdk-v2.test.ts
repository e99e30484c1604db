/*
 * SDK v2 (@modelcontextprotocol/server and client 2.x) through the same
 * hooks: a real v2 Client against a real v2 McpServer in memory, and a v2 app
 * started with `--import mcp-otel/register` exporting real OTLP.
 */
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import * as serverV2 from '@modelcontextprotocol/server';
import { SpanStatusCode } from '@opentelemetry/api';
import { z } from 'zod/v4';
import { v2Schema } from '../helpers/v2-schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { finishedSpans, histogramPoint, instrument, resetTelemetry, spanNamed } from '../helpers/telemetry';

describe('SDK v2 in process', () => {
  it('gets the same spans, attributes, error classification and sessions', async () => {
    const instrumentation = await instrument();
    instrumentation.instrument(serverV2);
    resetTelemetry();
    const server = new serverV2.McpServer({ name: 'v2', version: '1' });
    server.registerTool('add', { inputSchema: v2Schema(z.object({ a: z.number(), b: z.number() })) }, async ({ a, b }) => ({
      content: [{ type: 'text', text: String(a + b) }],
    }));
    server.registerTool('boom', { inputSchema: v2Schema(z.object({})) }, async () => {
      throw new Error('exploded');
    });
    const [clientTransport, serverTransport] = serverV2.InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const client = new Client({ name: 'v2-client', version: '9' });
    await client.connect(clientTransport);

    expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content).toEqual([{ type: 'text', text: '3' }]);
    await client.callTool({ name: 'boom', arguments: {} });
    await expect(client.callTool({ name: 'nope', arguments: {} })).rejects.toThrow(/not found/);
    const spans = await finishedSpans(5);

    const init = spanNamed(spans, 'initialize');
    expect(init.attributes).toMatchObject({ 'mcp.client.name': 'v2-client', 'mcp.client.version': '9', 'mcp.protocol.version': '2025-11-25' });
    expect(init.attributes['mcp.session.id']).toMatch(/^[0-9a-f-]{36}$/);
    const add = spanNamed(spans, 'tools/call add');
    expect(add.attributes).toMatchObject({ 'gen_ai.tool.name': 'add', 'gen_ai.operation.name': 'execute_tool', 'mcp.session.id': init.attributes['mcp.session.id'] });
    expect(add.status.code).toBe(SpanStatusCode.UNSET);
    const boom = spanNamed(spans, 'tools/call boom');
    expect(boom.attributes['error.type']).toBe('tool_error');
    // v2 answers an unknown tool with -32602 (v1 returns an isError result): a caller fault, not an error.
    const nope = spanNamed(spans, 'tools/call nope');
    expect(nope.attributes['rpc.response.status_code']).toBe('-32602');
    expect(nope.attributes['error.type']).toBeUndefined();
    expect(nope.status.code).toBe(SpanStatusCode.UNSET);
    const point = await histogramPoint('mcp.server.operation.duration', {
      'mcp.method.name': 'tools/call',
      'mcp.protocol.version': '2025-11-25',
      'mcp.client.type': 'other',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'add',
    });
    expect(point?.value.count).toBe(1);
    await client.close();
  });
});

describe('SDK v2, stateless revision 2026-07-28 (no initialize, a server per request)', () => {
  it('reads the client and protocol version from each request\'s _meta envelope', async () => {
    const instrumentation = await instrument();
    instrumentation.instrument(serverV2);
    resetTelemetry();
    const factory = () => {
      const server = new serverV2.McpServer({ name: 'modern', version: '1' });
      server.registerTool('add', { inputSchema: v2Schema(z.object({ a: z.number(), b: z.number() })) }, async ({ a, b }) => ({
        content: [{ type: 'text', text: String(a + b) }],
      }));
      return server;
    };
    const handler = serverV2.createMcpHandler(factory, { legacy: 'reject' });
    const bodies: string[] = [];
    // The real client and the real handler, joined by a fetch that calls the handler directly (no socket).
    const fetchToHandler = async (url: string | URL, init?: RequestInit) => {
      if (typeof init?.body === 'string') bodies.push(init.body);
      return handler.fetch(new Request(url, init));
    };
    const client = new Client({ name: 'Claude Code', version: '3.1' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new StreamableHTTPClientTransport(new URL('http://127.0.0.1:9/mcp'), { fetch: fetchToHandler }));
    expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content).toEqual([{ type: 'text', text: '3' }]);
    expect((await client.callTool({ name: 'add', arguments: { a: 2, b: 2 } })).content).toEqual([{ type: 'text', text: '4' }]);
    // The modern era really was used: no initialize, the envelope on every request.
    expect(bodies.some((b) => b.includes('"initialize"'))).toBe(false);
    expect(bodies.filter((b) => b.includes('"tools/call"')).every((b) => b.includes('io.modelcontextprotocol/clientInfo'))).toBe(true);

    const spans = await finishedSpans(3);
    expect(spans.map((s) => s.name)).not.toContain('initialize');
    const calls = spans.filter((s) => s.name === 'tools/call add');
    expect(calls).toHaveLength(2);
    for (const span of [spanNamed(spans, 'server/discover'), ...calls]) {
      expect(span.attributes).toMatchObject({
        'mcp.client.name': 'Claude Code',
        'mcp.client.version': '3.1',
        'mcp.client.type': 'claude_code',
        'mcp.protocol.version': '2026-07-28',
        'network.protocol.name': 'http',
      });
      expect(span.attributes['mcp.session.id']).toBeUndefined();
    }
    // A server per request, yet one stable tracking ID for the client.
    const ids = new Set(calls.map((s) => s.attributes['mcp.client.tracking_id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/^[0-9a-f]{16,}$/);
    const point = await histogramPoint('mcp.server.operation.duration', {
      'mcp.method.name': 'tools/call',
      'mcp.protocol.version': '2026-07-28',
      'mcp.client.type': 'claude_code',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'add',
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
    });
    expect(point?.value.count).toBe(2);
    await client.close();
  });

  it('reads HTTP headers from v2\'s Web-standard Request: bearer-token tracking IDs and opt-in header capture', async () => {
    const instrumentation = await instrument({ captureRequestHeaders: ['x-team'] });
    instrumentation.instrument(serverV2);
    resetTelemetry();
    const handler = serverV2.createMcpHandler(() => {
      const server = new serverV2.McpServer({ name: 'modern', version: '1' });
      server.registerTool('now', { inputSchema: v2Schema(z.object({})) }, async () => ({ content: [{ type: 'text', text: 'now' }] }));
      return server;
    }, { legacy: 'reject' });
    const fetchToHandler = async (url: string | URL, init?: RequestInit) => handler.fetch(new Request(url, init));
    // Same clientInfo, different bearer tokens: two users of one client application.
    const call = async (token: string, team: string) => {
      const client = new Client({ name: 'cursor', version: '2' }, { versionNegotiation: { mode: 'auto' } });
      const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1:9/mcp'), {
        fetch: fetchToHandler,
        requestInit: { headers: { authorization: `Bearer ${token}`, 'x-team': team } },
      });
      await client.connect(transport);
      await client.callTool({ name: 'now', arguments: {} });
      await client.close();
    };
    await call('token-of-alice', 'red');
    await call('token-of-bob', 'blue');
    await call('token-of-alice', 'red');
    const calls = (await finishedSpans(6)).filter((s) => s.name === 'tools/call now');
    expect(calls).toHaveLength(3);
    const [alice1, bob, alice2] = calls.map((s) => s.attributes['mcp.client.tracking_id']);
    expect(alice1).toBeDefined();
    expect(alice2).toBe(alice1);
    expect(bob).not.toBe(alice1);
    expect(calls.map((s) => s.attributes['http.request.header.x-team'])).toEqual([['red'], ['blue'], ['red']]);
    for (const span of calls) {
      expect(span.attributes['mcp.client.type']).toBe('cursor');
      expect(JSON.stringify(span.attributes)).not.toContain('token-of');
    }
  });

  it('ignores an envelope protocol version that is not a revision (it would become a metric attribute)', async () => {
    const instrumentation = await instrument();
    instrumentation.instrument(serverV2);
    resetTelemetry();
    const server = new serverV2.McpServer({ name: 'v2', version: '1' });
    server.registerTool('now', { inputSchema: v2Schema(z.object({})) }, async () => ({ content: [{ type: 'text', text: 'now' }] }));
    const [clientTransport, serverTransport] = serverV2.InMemoryTransport.createLinkedPair();
    await server.connect(serverTransport);
    const answers: unknown[] = [];
    clientTransport.onmessage = (m) => answers.push(m);
    await clientTransport.start();
    const bogus = { 'io.modelcontextprotocol/protocolVersion': 'x'.repeat(300), 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } };
    await clientTransport.send({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: bogus } });
    await clientTransport.send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: { ...bogus, 'io.modelcontextprotocol/protocolVersion': 7 } } });
    const spans = await finishedSpans(2);
    expect(answers).toHaveLength(2);
    for (const span of spans) {
      expect(span.attributes['mcp.protocol.version']).toBeUndefined();
      expect(span.attributes['mcp.client.name']).toBe('raw');
    }
    await clientTransport.close();
  });
});

describe('SDK v2 under the register entry point', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('hooks @modelcontextprotocol/server through the standard module hook and exports OTLP', async () => {
    const root = path.join(__dirname, '..', '..');
    const child = spawn(process.execPath, ['--import', 'mcp-otel/register', path.join(root, 'test/fixtures/v2-app.mjs')], {
      cwd: root,
      env: {
        PATH: process.env.PATH ?? '',
        OTEL_SERVICE_NAME: 'v2-app',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_METRIC_EXPORT_INTERVAL: '60000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, stderr).toBe(0);
    await receiver.waitFor(() => receiver.spans().some((s) => s.name === 'tools/call add'), 10_000, 'v2 spans');
    const names = receiver.spans().filter((s) => s.resource['service.name'] === 'v2-app').map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['initialize', 'tools/call add']));
  });
});
