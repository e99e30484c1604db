/*
 * The instrumentation over real Streamable HTTP: a node:http server on 127.0.0.1
 * with the SDK's StreamableHTTPServerTransport (stateful and stateless layouts)
 * and real SDK Clients with StreamableHTTPClientTransport.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { connectHttpClient, gate, HTTP_SPAN_TRACER, messagesOf, requestCarrying, startHttpMcpServer } from '../helpers/http-server';
import type { HttpClient, HttpMcpServer, HttpServerOptions, RecordedRequest } from '../helpers/http-server';
import { finishedSpans, histogramPoint, histogramPoints, instrument, resetTelemetry, spanExporter, spanNamed } from '../helpers/telemetry';
import { delay, waitUntil } from '../helpers/wait';

vi.setConfig({ testTimeout: 15_000, hookTimeout: 15_000 });

const DURATION = 'mcp.server.operation.duration';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let servers: HttpMcpServer[] = [];
let clients: HttpClient[] = [];
let cleanups: Array<() => void> = [];

async function startServer(options: HttpServerOptions): Promise<HttpMcpServer> {
  const server = await startHttpMcpServer(options);
  servers.push(server);
  return server;
}

async function connect(server: HttpMcpServer, options?: Parameters<typeof connectHttpClient>[1]): Promise<HttpClient> {
  const client = await connectHttpClient(server.url, options);
  clients.push(client);
  return client;
}

/** MCP spans only (the test's own HTTP spans come from another tracer). */
function mcpSpans(spans: ReadableSpan[]): ReadableSpan[] {
  return spans.filter((s) => s.instrumentationScope.name !== HTTP_SPAN_TRACER);
}

function spansWithMethod(spans: ReadableSpan[], method: string): ReadableSpan[] {
  return mcpSpans(spans).filter((s) => s.attributes['mcp.method.name'] === method);
}

/** Waits until `predicate` holds for the finished spans (bounded). */
async function spansWhere(predicate: (spans: ReadableSpan[]) => boolean, timeoutMs = 3000): Promise<ReadableSpan[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = spanExporter.getFinishedSpans();
    if (predicate(spans)) return spans;
    if (Date.now() > deadline) throw new Error(`spans never matched; have: ${spans.map((s) => s.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function until(condition: () => boolean, timeoutMs = 3000): Promise<void> {
  return waitUntil(condition, timeoutMs, 'the condition');
}

/** The HTTP POST that carried the JSON-RPC request with this id (ids are per client, so pass one server's log). */
function carrierOfId(requests: RecordedRequest[], id: unknown): RecordedRequest {
  return requestCarrying(requests, (m) => m.id === id && typeof m.method === 'string');
}

function pointCount(point: { value: { count: number } } | undefined): number {
  return point?.value.count ?? 0;
}

/** A POST the SDK client would send, made by hand so the test owns its connection. */
function rawPost(url: URL, message: unknown, headers: Record<string, string>, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(message),
    signal,
  });
}

/** Reads an SSE response body to the end and returns the JSON-RPC messages it carried. */
async function sseMessages(response: Response): Promise<unknown[]> {
  const text = await response.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice(6)));
}

beforeAll(async () => {
  await instrument();
});

beforeEach(async () => {
  await instrument(); // back to the default configuration
  resetTelemetry();
});

afterEach(async () => {
  for (const fn of cleanups) fn();
  for (const c of clients) await c.close();
  for (const s of servers) await s.close();
  servers = [];
  clients = [];
  cleanups = [];
});

describe('Streamable HTTP, stateful sessions', () => {
  it('spans carry the session id, network attributes, negotiated protocol version and client info', async () => {
    const server = await startServer({ mode: 'stateful' });
    const { client, transport } = await connect(server, { name: 'http-client', version: '3.1.4' });
    await client.listTools();
    await client.callTool({ name: 'echo', arguments: { text: 'over http' } });

    const sessionId = transport.sessionId;
    expect(sessionId).toMatch(UUID);
    expect([...server.sessions.keys()]).toEqual([sessionId]);
    expect(transport.protocolVersion).toBe(LATEST_PROTOCOL_VERSION);

    const spans = mcpSpans(await finishedSpans(4));
    expect(spans.map((s) => s.name).sort()).toEqual(['initialize', 'notifications/initialized', 'tools/call echo', 'tools/list']);
    const common = {
      'mcp.session.id': sessionId,
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'mcp.protocol.version': LATEST_PROTOCOL_VERSION,
      'mcp.client.name': 'http-client',
      'mcp.client.version': '3.1.4',
      'mcp.client.type': 'other',
      'mcp.client.tracking_id': expect.stringMatching(/^[0-9a-f]{16}$/),
    };
    const initialize = spanNamed(spans, 'initialize');
    expect(initialize.kind).toBe(SpanKind.SERVER);
    expect(initialize.status.code).toBe(SpanStatusCode.UNSET);
    expect(initialize.attributes).toEqual({
      ...common,
      'mcp.method.name': 'initialize',
      'jsonrpc.request.id': '0',
      'mcp.client.capabilities': [],
    });

    const list = spanNamed(spans, 'tools/list');
    expect(list.status.code).toBe(SpanStatusCode.UNSET);
    expect(list.attributes).toEqual({ ...common, 'mcp.method.name': 'tools/list', 'jsonrpc.request.id': '1' });

    const call = spanNamed(spans, 'tools/call echo');
    expect(call.kind).toBe(SpanKind.SERVER);
    expect(call.status.code).toBe(SpanStatusCode.UNSET);
    expect(call.attributes).toEqual({
      ...common,
      'mcp.method.name': 'tools/call',
      'jsonrpc.request.id': '2',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'echo',
    });

    const initialized = spanNamed(spans, 'notifications/initialized');
    expect(initialized.attributes['mcp.session.id']).toBe(sessionId);
    expect(initialized.attributes['network.transport']).toBe('tcp');
    expect(initialized.attributes['jsonrpc.request.id']).toBeUndefined();

    // The session id on the spans is the one the server sent in the mcp-session-id header.
    const carrier = carrierOfId(server.requests, 2);
    expect(carrier.headers['mcp-session-id']).toBe(sessionId);
    expect(carrier.headers['mcp-protocol-version']).toBe(LATEST_PROTOCOL_VERSION);
  });

  it('gives two concurrent clients distinct session ids on their spans', async () => {
    const server = await startServer({ mode: 'stateful' });
    const [a, b] = await Promise.all([
      connect(server, { name: 'client-a', version: '1.0.0' }),
      connect(server, { name: 'client-b', version: '2.0.0' }),
    ]);
    await Promise.all([
      a.client.callTool({ name: 'echo', arguments: { text: 'from a' } }),
      b.client.callTool({ name: 'echo', arguments: { text: 'from b' } }),
      a.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } }),
      b.client.callTool({ name: 'add', arguments: { a: 3, b: 4 } }),
    ]);
    const idA = a.transport.sessionId;
    const idB = b.transport.sessionId;
    expect(idA).toMatch(UUID);
    expect(idB).toMatch(UUID);
    expect(idA).not.toBe(idB);
    expect(new Set(server.sessions.keys())).toEqual(new Set([idA, idB]));

    const spans = mcpSpans(await finishedSpans(8));
    expect(spans).toHaveLength(8); // 2 × (initialize, notifications/initialized, echo, add)
    for (const [name, id, version] of [
      ['client-a', idA, '1.0.0'],
      ['client-b', idB, '2.0.0'],
    ] as const) {
      const own = spans.filter((s) => s.attributes['mcp.session.id'] === id);
      expect(own.map((s) => s.name).sort()).toEqual(['initialize', 'notifications/initialized', 'tools/call add', 'tools/call echo']);
      for (const span of own) {
        expect(span.attributes['mcp.client.name']).toBe(name);
        expect(span.attributes['mcp.client.version']).toBe(version);
      }
    }
  });

  it('records duration points with network attributes and never the session id', async () => {
    const server = await startServer({ mode: 'stateful' });
    const network = {
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'mcp.protocol.version': LATEST_PROTOCOL_VERSION,
      'mcp.client.type': 'other',
    };
    const addAttrs = { ...network, 'mcp.method.name': 'tools/call', 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'add' };
    const initAttrs = { ...network, 'mcp.method.name': 'initialize' };
    const listAttrs = { ...network, 'mcp.method.name': 'prompts/list' };
    const before = {
      add: pointCount(await histogramPoint(DURATION, addAttrs)),
      init: pointCount(await histogramPoint(DURATION, initAttrs)),
      list: pointCount(await histogramPoint(DURATION, listAttrs)),
    };

    const [a, b] = await Promise.all([connect(server), connect(server)]);
    await a.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    await b.client.callTool({ name: 'add', arguments: { a: 2, b: 2 } });
    await b.client.callTool({ name: 'add', arguments: { a: 3, b: 3 } });
    await a.client.listPrompts();
    await finishedSpans(8);

    expect(pointCount(await histogramPoint(DURATION, addAttrs)) - before.add).toBe(3);
    expect(pointCount(await histogramPoint(DURATION, initAttrs)) - before.init).toBe(2);
    expect(pointCount(await histogramPoint(DURATION, listAttrs)) - before.list).toBe(1);

    const points = await histogramPoints(DURATION);
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) {
      expect(Object.keys(point.attributes)).not.toContain('mcp.session.id');
      expect(Object.keys(point.attributes)).not.toContain('mcp.client.name');
      expect(Object.keys(point.attributes)).not.toContain('client.address');
      expect(Object.keys(point.attributes)).not.toContain('client.port');
      expect(Object.keys(point.attributes)).not.toContain('jsonrpc.request.id');
    }
  });
});

describe('Streamable HTTP, stateless (new server and transport per POST)', () => {
  it('traces every request without a session id, protocol version from the header after initialize', async () => {
    const server = await startServer({ mode: 'stateless' });
    const { client, transport } = await connect(server, { name: 'stateless-client', version: '0.9.0' });
    await client.listTools();
    await client.callTool({ name: 'echo', arguments: { text: 'stateless' } });
    expect(transport.sessionId).toBeUndefined();

    const spans = mcpSpans(await finishedSpans(4));
    expect(spans.map((s) => s.name).sort()).toEqual(['initialize', 'notifications/initialized', 'tools/call echo', 'tools/list']);
    for (const span of spans) {
      expect(span.kind).toBe(SpanKind.SERVER);
      expect(span.status.code).toBe(SpanStatusCode.UNSET);
      expect(Object.keys(span.attributes)).not.toContain('mcp.session.id');
      expect(span.attributes['network.transport']).toBe('tcp');
      expect(span.attributes['network.protocol.name']).toBe('http');
      expect(span.attributes['network.protocol.version']).toBe('1.1');
    }
    // Each POST went to its own server: 4 POSTs (the client's GET got 405).
    expect(server.requests.map((r) => r.httpMethod).sort()).toEqual(['GET', 'POST', 'POST', 'POST', 'POST']);

    // initialize: no header yet, the version comes from the initialize result; the server that
    // handled it is the only one that learns clientInfo.
    const initialize = spanNamed(spans, 'initialize');
    expect(carrierOfId(server.requests, 0).headers['mcp-protocol-version']).toBeUndefined();
    expect(initialize.attributes).toEqual({
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'mcp.protocol.version': LATEST_PROTOCOL_VERSION,
      'mcp.client.name': 'stateless-client',
      'mcp.client.version': '0.9.0',
      'mcp.client.type': 'other',
      'mcp.client.tracking_id': expect.stringMatching(/^[0-9a-f]{16}$/),
      'mcp.method.name': 'initialize',
      'jsonrpc.request.id': '0',
    });

    // Later requests: a fresh server that never saw initialize; the version is the header's.
    expect(carrierOfId(server.requests, 2).headers['mcp-protocol-version']).toBe(LATEST_PROTOCOL_VERSION);
    expect(spanNamed(spans, 'tools/list').attributes).toEqual({
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'mcp.protocol.version': LATEST_PROTOCOL_VERSION,
      'mcp.client.type': 'unknown',
      'mcp.method.name': 'tools/list',
      'jsonrpc.request.id': '1',
    });
    expect(spanNamed(spans, 'tools/call echo').attributes).toEqual({
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'mcp.protocol.version': LATEST_PROTOCOL_VERSION,
      'mcp.client.type': 'unknown',
      'mcp.method.name': 'tools/call',
      'jsonrpc.request.id': '2',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'echo',
    });
  });

  it('takes mcp.protocol.version from the mcp-protocol-version header the request carries', async () => {
    const server = await startServer({ mode: 'stateless' });
    const withHeader = await rawPost(server.url, { jsonrpc: '2.0', id: 'v1', method: 'tools/list', params: {} }, { 'mcp-protocol-version': '2025-06-18' });
    expect(withHeader.status).toBe(200);
    expect(await sseMessages(withHeader)).toHaveLength(1);
    const withoutHeader = await rawPost(server.url, { jsonrpc: '2.0', id: 'v2', method: 'tools/list', params: {} }, {});
    expect(withoutHeader.status).toBe(200);
    expect(await sseMessages(withoutHeader)).toHaveLength(1);

    const spans = mcpSpans(await finishedSpans(2));
    const byId = (id: string) => spans.find((s) => s.attributes['jsonrpc.request.id'] === id)!;
    expect(byId('v1').attributes['mcp.protocol.version']).toBe('2025-06-18');
    // No header and no initialize on this server: nothing is recorded (the transport would assume
    // 2025-03-26, but mcp-otel only records a version it was told).
    expect(byId('v2').attributes).toEqual({
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'mcp.client.type': 'unknown',
      'mcp.method.name': 'tools/list',
      'jsonrpc.request.id': 'v2',
    });
  });
});

describe('client address', () => {
  it('is not recorded by default', async () => {
    const server = await startServer({ mode: 'stateful' });
    const { client } = await connect(server);
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    const spans = mcpSpans(await finishedSpans(3));
    expect(spans).toHaveLength(3);
    for (const span of spans) {
      expect(Object.keys(span.attributes)).not.toContain('client.address');
      expect(Object.keys(span.attributes)).not.toContain('client.port');
    }
  });

  it('is recorded with captureClientAddress: the peer of the HTTP request that carried the message', async () => {
    await instrument({ captureClientAddress: true });
    const server = await startServer({ mode: 'stateful' });
    const { client } = await connect(server);
    await client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await client.listResources();
    const spans = mcpSpans(await finishedSpans(4));
    expect(spans).toHaveLength(4);
    for (const [name, id] of [
      ['initialize', 0],
      ['tools/call echo', 1],
      ['resources/list', 2],
    ] as const) {
      const span = spanNamed(spans, name);
      const carrier = carrierOfId(server.requests, id);
      expect(span.attributes['client.address']).toBe('127.0.0.1');
      expect(typeof carrier.remotePort).toBe('number');
      expect(carrier.remotePort).not.toBe(server.port);
      expect(span.attributes['client.port']).toBe(carrier.remotePort);
    }
  });

  it('anonymises the address when asked: truncate to the network, or a keyed hash, never with the port', async () => {
    for (const [mode, expected] of [
      ['truncate', /^127\.0\.0\.0$/],
      ['hash', /^[0-9a-f]{16}$/],
    ] as const) {
      resetTelemetry();
      await instrument({ captureClientAddress: mode, trackingSecret: 'addr' });
      const server = await startServer({ mode: 'stateful' });
      const { client } = await connect(server);
      await client.callTool({ name: 'echo', arguments: { text: 'x' } });
      const span = spanNamed(mcpSpans(await finishedSpans(3)), 'tools/call echo');
      expect(String(span.attributes['client.address'])).toMatch(expected);
      expect(span.attributes['client.port']).toBeUndefined();
      expect(JSON.stringify(spanExporter.getFinishedSpans().map((s) => s.attributes))).not.toContain('127.0.0.1');
    }
  });

  it('keeps each request its own peer when requests of one session arrive concurrently', async () => {
    await instrument({ captureClientAddress: true });
    const server = await startServer({ mode: 'stateful' });
    const { client } = await connect(server);
    // Concurrent POSTs of one session: undici opens a connection per in-flight request.
    await Promise.all([
      client.callTool({ name: 'echo', arguments: { text: '1' } }),
      client.callTool({ name: 'add', arguments: { a: 1, b: 1 } }),
      client.listTools(),
      client.listPrompts(),
      client.listResources(),
    ]);
    const spans = mcpSpans(await finishedSpans(7));
    const ids = [1, 2, 3, 4, 5];
    const carriers = ids.map((id) => carrierOfId(server.requests, id));
    // The scenario really had several connections in play.
    expect(new Set(carriers.map((c) => c.remotePort)).size).toBeGreaterThan(1);
    const recorded = ids.map((id) => spans.find((s) => s.attributes['jsonrpc.request.id'] === String(id))?.attributes['client.port']);
    expect(recorded).toEqual(carriers.map((c) => c.remotePort));
  });

  it('keeps each request its own peer when a body arrives after another request of the session (no pre-parsed body)', async () => {
    await instrument({ captureClientAddress: true });
    // Plain `transport.handleRequest(req, res)`: the transport reads each body itself.
    const server = await startServer({ mode: 'stateful', preParseBody: false });
    const { transport } = await connect(server);
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-session-id': transport.sessionId!,
      'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
    };
    // A: headers now, body later (a slow upload), on a connection of its own.
    const a = request(server.url, { method: 'POST', headers: { ...headers, 'x-test-jsonrpc-id': 'A' }, agent: false });
    cleanups.push(() => a.destroy());
    const aLocalPort = new Promise<number>((resolve) => a.once('socket', (s) => s.once('connect', () => resolve(s.localPort!))));
    const aResponse = new Promise<string>((resolve, reject) => {
      a.once('error', reject);
      a.once('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () => resolve(text));
      });
    });
    a.flushHeaders();
    await until(() => server.requests.some((r) => r.taggedIds === 'A'));
    // B: a whole request of the same session, on another connection, meanwhile.
    const b = await rawPost(server.url, { jsonrpc: '2.0', id: 'B', method: 'tools/list', params: {} }, { ...headers, 'x-test-jsonrpc-id': 'B' });
    expect(await sseMessages(b)).toHaveLength(1);
    a.end(JSON.stringify({ jsonrpc: '2.0', id: 'A', method: 'tools/list', params: {} }));
    expect((await aResponse).includes('"id":"A"')).toBe(true);

    const spans = await spansWhere((s) => spansWithMethod(s, 'tools/list').length === 2);
    const portOf = (id: string) => spansWithMethod(spans, 'tools/list').find((s) => s.attributes['jsonrpc.request.id'] === id)!.attributes['client.port'];
    const bPort = server.requests.find((r) => r.taggedIds === 'B')!.remotePort;
    expect(server.requests.find((r) => r.taggedIds === 'A')!.remotePort).toBe(await aLocalPort);
    expect(bPort).not.toBe(await aLocalPort);
    expect(portOf('B')).toBe(bPort);
    expect(portOf('A')).toBe(await aLocalPort);
  });
});

describe('request header capture', () => {
  it('records allow-listed headers and never authorization', async () => {
    await instrument({ captureRequestHeaders: ['user-agent', 'authorization'] });
    const server = await startServer({ mode: 'stateful' });
    const { client } = await connect(server, {
      requestInit: { headers: { 'user-agent': 'mcp-otel-http-test/1.0', authorization: 'Bearer secret-canary' } },
    });
    await client.callTool({ name: 'echo', arguments: { text: 'headers' } });

    // The header really reached the server.
    expect(carrierOfId(server.requests, 1).headers.authorization).toBe('Bearer secret-canary');

    const spans = await finishedSpans(3);
    expect(mcpSpans(spans)).toHaveLength(3);
    for (const name of ['initialize', 'tools/call echo']) {
      const span = spanNamed(spans, name);
      expect(span.attributes['http.request.header.user-agent']).toEqual(['mcp-otel-http-test/1.0']);
    }
    for (const span of spans) {
      expect(Object.keys(span.attributes)).not.toContain('http.request.header.authorization');
      const everything = JSON.stringify({ attributes: span.attributes, links: span.links, events: span.events, status: span.status, name: span.name });
      expect(everything).not.toContain('secret-canary');
    }
  });
});

describe('notification spans over HTTP (notifications/initialized)', () => {
  // Notifications arrive in HTTP POSTs like requests; their spans are mcp.server spans too.
  it('carry the mcp-protocol-version header of their POST (stateless)', async () => {
    const server = await startServer({ mode: 'stateless' });
    const accepted = await rawPost(server.url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-protocol-version': '2025-06-18' });
    expect(accepted.status).toBe(202);
    const spans = await spansWhere((s) => spansWithMethod(s, 'notifications/initialized').length === 1);
    const span = spansWithMethod(spans, 'notifications/initialized')[0];
    expect(span.attributes['network.transport']).toBe('tcp');
    expect(span.attributes['mcp.protocol.version']).toBe('2025-06-18');
  });

  it('carry client.address/client.port with captureClientAddress', async () => {
    await instrument({ captureClientAddress: true });
    const server = await startServer({ mode: 'stateful' });
    await connect(server);
    const spans = await spansWhere((s) => spansWithMethod(s, 'notifications/initialized').length === 1);
    const carrier = requestCarrying(server.requests, (m) => m.method === 'notifications/initialized');
    const span = spansWithMethod(spans, 'notifications/initialized')[0];
    expect(span.attributes['network.transport']).toBe('tcp');
    expect(span.attributes['client.address']).toBe('127.0.0.1');
    expect(span.attributes['client.port']).toBe(carrier.remotePort);
  });

  it('carry allow-listed request headers', async () => {
    await instrument({ captureRequestHeaders: ['user-agent'] });
    const server = await startServer({ mode: 'stateful' });
    await connect(server, { requestInit: { headers: { 'user-agent': 'mcp-otel-http-test/1.0' } } });
    const spans = await spansWhere((s) => spansWithMethod(s, 'notifications/initialized').length === 1);
    expect(spanNamed(spans, 'initialize').attributes['http.request.header.user-agent']).toEqual(['mcp-otel-http-test/1.0']);
    const span = spansWithMethod(spans, 'notifications/initialized')[0];
    expect(span.attributes['http.request.header.user-agent']).toEqual(['mcp-otel-http-test/1.0']);
  });
});

describe('trace context over HTTP', () => {
  it('parents the server span on the traceparent in params._meta', async () => {
    const server = await startServer({ mode: 'stateful' });
    const { client } = await connect(server);
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    await client.callTool({ name: 'echo', arguments: { text: 'traced' }, _meta: { traceparent: `00-${traceId}-${parentId}-01` } });

    // The _meta really travelled over HTTP untouched.
    const carrier = carrierOfId(server.requests, 1);
    expect((messagesOf(carrier)[0].params as { _meta: unknown })._meta).toEqual({ traceparent: `00-${traceId}-${parentId}-01` });

    const span = spanNamed(await finishedSpans(3), 'tools/call echo');
    expect(span.spanContext().traceId).toBe(traceId);
    expect(span.parentSpanContext?.spanId).toBe(parentId);
    expect(span.parentSpanContext?.traceId).toBe(traceId);
    expect(span.parentSpanContext?.isRemote).toBe(true);
    expect(span.links).toEqual([]);
  });

  it('links (does not parent) the HTTP server span active around handleRequest', async () => {
    const server = await startServer({ mode: 'stateful', httpSpans: true });
    const { client } = await connect(server);
    await client.callTool({ name: 'echo', arguments: { text: 'no meta' } });
    const traceId = randomBytes(16).toString('hex');
    const parentId = randomBytes(8).toString('hex');
    await client.callTool({ name: 'add', arguments: { a: 1, b: 2 }, _meta: { traceparent: `00-${traceId}-${parentId}-01` } });

    const spans = await finishedSpans(4 + 4); // 4 MCP spans + the POSTs' HTTP spans
    const httpSpans = spans.filter((s) => s.instrumentationScope.name === HTTP_SPAN_TRACER);
    const httpIds = new Set(httpSpans.map((s) => s.spanContext().spanId));

    const expectLinkedTo = (span: ReadableSpan, carrier: RecordedRequest) => {
      expect(carrier.httpSpan).toBeDefined();
      expect(httpIds.has(carrier.httpSpan!.spanId)).toBe(true); // a real, ended HTTP span
      expect(span.links.map((l) => ({ traceId: l.context.traceId, spanId: l.context.spanId }))).toEqual([
        { traceId: carrier.httpSpan!.traceId, spanId: carrier.httpSpan!.spanId },
      ]);
    };

    // Without _meta: a new trace (no parent), linked to its HTTP span.
    for (const [name, id] of [
      ['initialize', 0],
      ['tools/call echo', 1],
    ] as const) {
      const span = spanNamed(spans, name);
      const carrier = carrierOfId(server.requests, id);
      expect(span.parentSpanContext).toBeUndefined();
      expect(span.spanContext().traceId).not.toBe(carrier.httpSpan!.traceId);
      expectLinkedTo(span, carrier);
    }
    const initialized = spanNamed(spans, 'notifications/initialized');
    expect(initialized.parentSpanContext).toBeUndefined();
    expectLinkedTo(initialized, requestCarrying(server.requests, (m) => m.method === 'notifications/initialized'));

    // With _meta: parented on it, still linked to the HTTP span.
    const add = spanNamed(spans, 'tools/call add');
    expect(add.spanContext().traceId).toBe(traceId);
    expect(add.parentSpanContext?.spanId).toBe(parentId);
    expectLinkedTo(add, carrierOfId(server.requests, 2));
  });
});

describe('connection ends with a request in flight', () => {
  it('ends the in-flight span with connection_closed when the client DELETEs the session', async () => {
    const slow = gate();
    cleanups.push(() => slow.open());
    const server = await startServer({ mode: 'stateful', release: slow.release });
    const { client, transport } = await connect(server);
    const sessionId = transport.sessionId;
    const attrs = {
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      'network.protocol.version': '1.1',
      'mcp.protocol.version': LATEST_PROTOCOL_VERSION,
      'mcp.client.type': 'other',
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'slow',
      'error.type': 'connection_closed',
    };
    const before = pointCount(await histogramPoint(DURATION, attrs));

    const call = client.callTool({ name: 'slow', arguments: {} }).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await slow.started;
    expect(spansWithMethod(spanExporter.getFinishedSpans(), 'tools/call')).toHaveLength(0);

    await transport.terminateSession();
    const deleteRequest = server.requests.find((r) => r.httpMethod === 'DELETE');
    expect(deleteRequest?.headers['mcp-session-id']).toBe(sessionId);
    expect(server.sessions.size).toBe(0);

    const spans = await spansWhere((s) => spansWithMethod(s, 'tools/call').length === 1);
    const span = spanNamed(spans, 'tools/call slow');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection_closed' });
    expect(span.attributes['error.type']).toBe('connection_closed');
    expect(span.attributes['mcp.session.id']).toBe(sessionId);
    expect(span.attributes['rpc.response.status_code']).toBeUndefined();
    expect(pointCount(await histogramPoint(DURATION, attrs)) - before).toBe(1);

    // Releasing the tool afterwards sends nothing and ends nothing twice.
    slow.open();
    await delay(50); // time for a (wrong) second response or span to appear
    expect(spansWithMethod(spanExporter.getFinishedSpans(), 'tools/call')).toHaveLength(1);
    for (const c of clients.splice(0)) await c.close();
    expect(await call).toBe('MCP error -32000: Connection closed');
  });

  it('stateful: a POST whose connection is gone when the tool finishes ends with send_failed', async () => {
    const slow = gate();
    cleanups.push(() => slow.open());
    const server = await startServer({ mode: 'stateful', release: slow.release });
    const { transport } = await connect(server);
    const sessionId = transport.sessionId!;

    const abort = new AbortController();
    const response = await rawPost(
      server.url,
      { jsonrpc: '2.0', id: 'abort-me', method: 'tools/call', params: { name: 'slow', arguments: {} } },
      { 'mcp-session-id': sessionId, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
      abort.signal,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    await slow.started;
    abort.abort();
    await carrierOfId(server.requests, 'abort-me').responseClosed;
    // The session survives a dropped POST, and the handler is still running.
    expect([...server.sessions.keys()]).toEqual([sessionId]);
    await delay(50); // time for a (wrong) early span to appear
    expect(spansWithMethod(spanExporter.getFinishedSpans(), 'tools/call')).toHaveLength(0);

    slow.open();
    const spans = await spansWhere((s) => spansWithMethod(s, 'tools/call').length === 1);
    const span = spanNamed(spans, 'tools/call slow');
    expect(span.attributes['jsonrpc.request.id']).toBe('abort-me');
    expect(span.attributes['error.type']).toBe('send_failed');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'No connection established for request ID: abort-me' });
    expect(span.attributes['mcp.session.id']).toBe(sessionId);
  });

  it('stateless: dropping the POST closes that request\'s transport, so the span ends with connection_closed', async () => {
    const slow = gate();
    cleanups.push(() => slow.open());
    const server = await startServer({ mode: 'stateless', release: slow.release });
    const abort = new AbortController();
    const response = await rawPost(
      server.url,
      { jsonrpc: '2.0', id: 'abort-stateless', method: 'tools/call', params: { name: 'slow', arguments: {} } },
      { 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
      abort.signal,
    );
    expect(response.status).toBe(200);
    await slow.started;
    abort.abort();
    // res 'close' → transport.close() + server.close() (the SDK README pattern): no release needed.
    const spans = await spansWhere((s) => spansWithMethod(s, 'tools/call').length === 1);
    const span = spanNamed(spans, 'tools/call slow');
    expect(span.attributes['jsonrpc.request.id']).toBe('abort-stateless');
    expect(span.attributes['error.type']).toBe('connection_closed');
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connection_closed' });
    expect(slow.starts).toBe(1);
  });
});
