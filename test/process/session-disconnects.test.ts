/*
 * Disconnect reasons produced for real, end to end: stdio servers in child
 * processes started with `--import mcp-otel/register` exporting OTLP to a
 * receiver on 127.0.0.1 (client closes stdin; SIGTERM), and HTTP transports in
 * process (DELETE; SSE stream socket closed by the client).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { McpDisconnectReason, McpSession } from '../../dist/cjs/index.js';
import { connectHttpClient, startHttpMcpServer } from '../helpers/http-server';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { flushOnlyEnv, startOtlpReceiver } from '../helpers/otlp-receiver';
import { createTestServer } from '../helpers/server';
import { startStdioChild, stopAllChildren } from '../helpers/stdio-child';
import { instrument } from '../helpers/telemetry';
import { settle, waitUntil } from '../helpers/wait';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await stopAllChildren();
  await receiver.close();
});

const childEnv = (service: string) => flushOnlyEnv(receiver, service);
const sessionEnds = (service: string) => receiver.latestPoints('mcp.server.session.duration', service);

describe('stdio child processes', () => {
  afterEach(stopAllChildren);

  it('the client closing stdin ends the session once with client_disconnect, flushed at exit', async () => {
    const service = 'stdin-end';
    const child = await startStdioChild({ app: 'esm-app.mjs', nodeArgs: ['--import', 'mcp-otel/register'], env: childEnv(service) });
    await child.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await child.client.close(); // ends the child's stdin; the SDK itself ignores that
    const exit = await child.exited;
    expect(exit.signal).toBeNull(); // it exited by itself, not by the client's SIGTERM fallback
    await receiver.waitFor(() => sessionEnds(service).length > 0, 10_000, 'session duration');
    const points = sessionEnds(service);
    expect(points).toHaveLength(1);
    expect(points[0].count).toBe(1);
    expect(points[0].attributes).toMatchObject({ 'mcp.session.disconnect_reason': 'client_disconnect', 'network.transport': 'pipe', 'mcp.client.type': 'other' });
    const active = receiver.metrics().filter((m) => m.name === 'mcp.server.session.active' && m.resource['service.name'] === service).at(-1);
    expect(active?.dataPoints.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(0);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} ends the session with server_shutdown and flushes it before exit`, async () => {
      const service = signal.toLowerCase();
      const child = await startStdioChild({ app: 'esm-app.mjs', nodeArgs: ['--import', 'mcp-otel/register'], env: childEnv(service) });
      await child.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      child.kill(signal);
      const exit = await child.exited;
      expect(exit.signal).toBe(signal); // the default behaviour of the signal, after the flush
      await receiver.waitFor(() => sessionEnds(service).length > 0, 10_000, 'session duration');
      const points = sessionEnds(service);
      expect(points.map((p) => [p.attributes['mcp.session.disconnect_reason'], p.count])).toEqual([['server_shutdown', 1]]);
      const spans = receiver.spans().filter((s) => s.resource['service.name'] === service);
      expect(spans.map((s) => s.name)).toContain('tools/call add');
    });
  }
});

describe('HTTP transports in process', () => {
  const ended: Array<{ session: McpSession; reason: McpDisconnectReason }> = [];
  const started: McpSession[] = [];
  beforeAll(async () => {
    await instrument({
      onSessionStart: (session) => started.push({ ...session }),
      onSessionEnd: (session, reason) => ended.push({ session: { ...session }, reason }),
    });
  });
  afterEach(() => {
    ended.length = 0;
    started.length = 0;
  });

  it('stateless Streamable HTTP reports no sessions, but identifies the client per request', async () => {
    const server = await startHttpMcpServer({ mode: 'stateless' });
    try {
      const { client } = await connectHttpClient(server.url, { name: 'stateless', version: '1' });
      await client.listTools();
      await client.callTool({ name: 'echo', arguments: { text: 'x' } });
      await client.close();
      expect(started).toEqual([]);
      expect(ended).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('Streamable HTTP DELETE ends the session with client_disconnect, exactly once', async () => {
    const server = await startHttpMcpServer({ mode: 'stateful' });
    try {
      const { client, transport } = await connectHttpClient(server.url, { name: 'deleter', version: '1' });
      const sessionId = transport.sessionId;
      await client.listTools();
      await transport.terminateSession();
      await client.close();
      await waitUntil(() => ended.length > 0, 5000, 'the session to end');
      await settle(); // and nothing more
      expect(ended.map((e) => [e.session.id, e.reason])).toEqual([[sessionId, 'client_disconnect']]);
      expect(ended[0].session.idFromTransport).toBe(true);
      expect(ended[0].session.transport).toBe('tcp');
    } finally {
      await server.close();
    }
  });

  it('an SSE client closing its stream socket ends the session with client_disconnect', async () => {
    const transports = new Map<string, SSEServerTransport>();
    const http = createServer(async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (req.method === 'GET' && url.pathname === '/sse') {
        const transport = new SSEServerTransport('/messages', res);
        transports.set(transport.sessionId, transport);
        await createTestServer().connect(transport);
      } else if (req.method === 'POST' && url.pathname === '/messages') {
        await transports.get(url.searchParams.get('sessionId') ?? '')?.handlePostMessage(req, res);
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const port = (http.address() as AddressInfo).port;
      const client = new Client({ name: 'sse-client', version: '1' });
      await client.connect(new SSEClientTransport(new URL(`http://127.0.0.1:${port}/sse`)));
      await client.ping();
      await client.close(); // aborts the GET stream: the server sees the socket close
      await waitUntil(() => ended.length > 0, 3000, 'the session to end');
      expect(ended.map((e) => e.reason)).toEqual(['client_disconnect']);
      expect(ended[0].session.clientName).toBe('sse-client');
      expect(ended[0].session.idFromTransport).toBe(true);
    } finally {
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    }
  });
});
