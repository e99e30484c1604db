import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { McpDisconnectReason, McpInstrumentationConfig, McpSession } from '../../dist/cjs/index.js';
import { connectRawStdio, initializeRaw } from '../helpers/raw-stdio';
import { connectInMemory, createTestServer } from '../helpers/server';
import { collectMetrics, finishedSpans, histogramPoints, instrument, resetTelemetry, spanNamed } from '../helpers/telemetry';
import { delay, settle, waitUntil } from '../helpers/wait';

interface Ended {
  session: McpSession;
  reason: McpDisconnectReason;
}

let started: McpSession[] = [];
let ended: Ended[] = [];

async function withSessions(config: McpInstrumentationConfig = {}) {
  started = [];
  ended = [];
  return instrument({
    ...config,
    onSessionStart: (s) => started.push({ ...s }),
    onSessionEnd: (s, reason) => ended.push({ session: { ...s }, reason }),
  });
}

async function sumOf(name: string, match: Record<string, unknown>): Promise<number> {
  const metric = (await collectMetrics()).find((m) => m.descriptor.name === name);
  let total = 0;
  for (const p of metric?.dataPoints ?? []) {
    if (Object.entries(match).every(([k, v]) => p.attributes[k] === v)) total += p.value as number;
  }
  return total;
}

function waitFor(predicate: () => boolean, ms = 3000): Promise<void> {
  return waitUntil(predicate, ms, 'the session event');
}

describe('session lifecycle', () => {
  beforeEach(resetTelemetry);
  afterEach(async () => {
    await instrument({});
  });

  it('starts at initialize with client, transport, protocol and capabilities, and ends once on client disconnect', async () => {
    await withSessions();
    const activeBefore = await sumOf('mcp.server.session.active', {});
    const conn = await connectInMemory(createTestServer(), { name: 'Cursor', version: '1.7.0' });
    expect(started).toHaveLength(1);
    const session = started[0];
    expect(session).toMatchObject({
      clientName: 'Cursor',
      clientVersion: '1.7.0',
      clientType: 'cursor',
      protocolVersion: '2025-11-25',
      idFromTransport: false,
      capabilities: { sampling: false, elicitation: false, roots: true },
      requestCount: 0,
    });
    expect(session.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(session.trackingId).toMatch(/^[0-9a-f]{16}$/);
    expect(await sumOf('mcp.server.session.active', {})).toBe(activeBefore + 1);

    await conn.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    const spans = await finishedSpans(3);
    expect(spanNamed(spans, 'tools/call echo').attributes['mcp.session.id']).toBe(session.id);
    expect(spanNamed(spans, 'initialize').attributes['mcp.session.id']).toBe(session.id);

    await conn.client.close();
    await waitFor(() => ended.length === 1);
    await conn.server.close();
    await settle(); // whatever the second close set off has run: still one end
    expect(ended).toHaveLength(1);
    expect(ended[0].reason).toBe('client_disconnect');
    expect(ended[0].session.requestCount).toBe(3); // initialize, notifications/initialized, tools/call
    expect(ended[0].session.endTime).toBeGreaterThanOrEqual(session.startTime);
    expect(await sumOf('mcp.server.session.active', {})).toBe(activeBefore);
    const points = (await histogramPoints('mcp.server.session.duration')).filter(
      (p) => p.attributes['mcp.session.disconnect_reason'] === 'client_disconnect' && p.attributes['mcp.client.type'] === 'cursor',
    );
    expect(points.reduce((n, p) => n + p.value.count, 0)).toBe(1);
    expect(points[0].attributes).toEqual({
      'mcp.client.type': 'cursor',
      'mcp.session.disconnect_reason': 'client_disconnect',
      'mcp.protocol.version': '2025-11-25',
    });
  });

  it('server.close() ends the session with server_shutdown', async () => {
    await withSessions();
    const conn = await connectInMemory();
    await conn.server.close();
    await waitFor(() => ended.length === 1);
    expect(ended[0].reason).toBe('server_shutdown');
    await conn.client.close();
    await settle();
    expect(ended).toHaveLength(1);
  });

  it('a session ends even when the app overwrote transport.onclose after connect()', async () => {
    await withSessions();
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const server = createTestServer();
    const [ct, st] = InMemoryTransport.createLinkedPair();
    await server.connect(st);
    let appSawClose = false;
    st.onclose = () => {
      appSawClose = true;
    };
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(ct);
    await client.close();
    await waitFor(() => ended.length === 1);
    expect(appSawClose).toBe(true);
    expect(ended[0].reason).toBe('client_disconnect');
  });

  it('ends with timeout after sessionIdleTimeout, and the next request starts a new session', async () => {
    await withSessions({ sessionIdleTimeout: 60 });
    const conn = await connectInMemory();
    await waitFor(() => ended.length === 1);
    expect(ended[0].reason).toBe('timeout');
    await conn.client.ping();
    expect(started).toHaveLength(2);
    expect(started[1].returning).toBe(true);
    await conn.server.close();
    expect(ended.map((e) => e.reason)).toEqual(['timeout', 'server_shutdown']);
    await conn.client.close();
  });

  it('ignored methods still count as activity: a client that only pings is not idle', async () => {
    // Pings for twice the idle timeout: without them counting as activity the session would time out.
    await withSessions({ sessionIdleTimeout: 400, ignoreMethods: ['ping'] });
    const conn = await connectInMemory();
    for (let i = 0; i < 20; i++) {
      await delay(40);
      await conn.client.ping();
    }
    expect(ended).toEqual([]);
    await conn.close();
    expect(ended.map((e) => e.reason)).toEqual(['client_disconnect']);
  });

  it('closes idle transports only when closeIdleSessions is on', async () => {
    await withSessions({ sessionIdleTimeout: 60, closeIdleSessions: true });
    const conn = await connectInMemory();
    let clientSawClose = false;
    conn.client.onclose = () => {
      clientSawClose = true;
    };
    await waitFor(() => clientSawClose);
    expect(ended.map((e) => e.reason)).toEqual(['timeout']);
  });

  it('stdin end on stdio ends the session with client_disconnect and in-flight requests with connection_closed', async () => {
    await withSessions();
    let slowRunning = false;
    const raw = await connectRawStdio(createTestServer({ onSlowStarted: () => (slowRunning = true) }));
    await initializeRaw(raw);
    expect(started[0]).toMatchObject({ transport: 'pipe', clientName: 'raw-client', capabilities: { sampling: true, elicitation: false, roots: false } });
    raw.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'slow', arguments: {} } })}\n`);
    await waitUntil(() => slowRunning, 5000, 'the slow call to start');
    raw.stdin.end();
    await waitFor(() => ended.length === 1);
    expect(ended[0].reason).toBe('client_disconnect');
    const slow = spanNamed(await finishedSpans(3), 'tools/call slow');
    expect(slow.attributes['error.type']).toBe('connection_closed');
    expect(slow.attributes['mcp.session.id']).toBe(started[0].id);
    await raw.transport.close();
    expect(ended).toHaveLength(1);
  });

  it('a transport read error ends the session with reason error and error.type', async () => {
    await withSessions();
    const raw = await connectRawStdio(createTestServer(), 1024);
    await initializeRaw(raw);
    raw.stdin.write('x'.repeat(4096)); // no newline, over maxBufferSize: the SDK reports an error and closes
    await waitFor(() => ended.length === 1);
    expect(ended[0].reason).toBe('error');
    expect(ended[0].session.errorType).toBe('Error');
    const points = (await histogramPoints('mcp.server.session.duration')).filter((p) => p.attributes['mcp.session.disconnect_reason'] === 'error');
    expect(points[0].attributes['error.type']).toBe('Error');
    expect(points[0].attributes['network.transport']).toBe('pipe');
  });

  it('endSessions() ends every open session with server_shutdown', async () => {
    const instrumentation = await withSessions();
    const a = await connectInMemory();
    const b = await connectInMemory();
    instrumentation.endSessions();
    expect(ended.map((e) => e.reason)).toEqual(['server_shutdown', 'server_shutdown']);
    await a.close();
    await b.close();
    expect(ended).toHaveLength(2);
  });

  it('session hooks that throw change nothing', async () => {
    const boom = () => {
      throw new Error('hook');
    };
    await instrument({ onSessionStart: boom, onSessionEnd: boom });
    const conn = await connectInMemory();
    const result = await conn.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    expect(result.content).toEqual([{ type: 'text', text: '2' }]);
    await conn.close();
  });
});

describe('client tracking IDs', () => {
  beforeEach(resetTelemetry);
  afterEach(async () => {
    await instrument({});
  });

  async function idOf(clientInfo: { name: string; version: string }, config: McpInstrumentationConfig = {}): Promise<string | undefined> {
    await withSessions(config);
    const conn = await connectInMemory(createTestServer(), clientInfo);
    const id = started[0]?.trackingId;
    await conn.close();
    return id;
  }

  it('are stable across reconnects, distinct across clients and secrets', async () => {
    const a1 = await idOf({ name: 'claude-code', version: '2.0.1' });
    const a2 = await idOf({ name: 'claude-code', version: '2.0.1' });
    const b = await idOf({ name: 'claude-code', version: '2.0.2' });
    const c = await idOf({ name: 'claude-code', version: '2.0.1' }, { trackingSecret: 'another secret' });
    expect(a1).toMatch(/^[0-9a-f]{16}$/);
    expect(a2).toBe(a1);
    expect(b).not.toBe(a1);
    expect(c).not.toBe(a1);
  });

  it('come from authInfo (client id and subject) when present, with user context and no raw secrets', async () => {
    await withSessions({ trackingSecret: 's' });
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const ids: Array<string | undefined> = [];
    for (const name of ['one', 'two']) {
      started = [];
      const server = createTestServer();
      const [ct, st] = InMemoryTransport.createLinkedPair();
      const send = ct.send.bind(ct);
      const authInfo = { token: 'tok-canary-123', clientId: 'oauth-client-9', scopes: ['mcp:read'], extra: { sub: 'user-42', email: 'u@example.com' } };
      ct.send = (message, options) => send(message, { ...options, authInfo });
      await server.connect(st);
      const client = new Client({ name, version: '1' });
      await client.connect(ct);
      await client.ping();
      ids.push(started[0].trackingId);
      expect(started[0].user).toEqual({ clientId: 'oauth-client-9', scopes: ['mcp:read'], userHash: expect.stringMatching(/^[0-9a-f]{16}$/) });
      await client.close();
    }
    expect(ids[0]).toBe(ids[1]); // same OAuth identity, different clientInfo
    const spans = await finishedSpans(4);
    const ping = spans.find((s) => s.name === 'ping')!;
    expect(ping.attributes['mcp.auth.client_id']).toBe('oauth-client-9');
    expect(ping.attributes['mcp.auth.scopes']).toEqual(['mcp:read']);
    expect(ping.attributes['user.hash']).toMatch(/^[0-9a-f]{16}$/);
    expect(ping.attributes['user.email']).toBeUndefined();
    const all = JSON.stringify(spans.map((s) => s.attributes));
    expect(all).not.toContain('tok-canary-123');
    expect(all).not.toContain('user-42');
    expect(all).not.toContain('u@example.com');
  });

  it('captureUserIdentity records the e-mail and name from authInfo, which are never recorded otherwise', async () => {
    await withSessions({ trackingSecret: 's', captureUserIdentity: true });
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const [ct, st] = InMemoryTransport.createLinkedPair();
    const send = ct.send.bind(ct);
    const authInfo = { token: 't', clientId: 'c', scopes: [], extra: { sub: 'user-7', email: 'ada@example.com', name: 'Ada L.' } };
    ct.send = (message, options) => send(message, { ...options, authInfo });
    await createTestServer().connect(st);
    const client = new Client({ name: 'identity', version: '1' });
    await client.connect(ct);
    await client.ping();
    expect(started[0].user).toMatchObject({ email: 'ada@example.com', name: 'Ada L.' });
    const ping = (await finishedSpans(3)).find((s) => s.name === 'ping')!;
    expect(ping.attributes['user.email']).toBe('ada@example.com');
    expect(ping.attributes['user.full_name']).toBe('Ada L.');
    expect(JSON.stringify(ping.attributes)).not.toContain('user-7');
    await client.close();
  });

  it('a custom trackingId function replaces the default; one that throws falls back to it', async () => {
    expect(await idOf({ name: 'x', version: '1' }, { trackingId: (ctx) => `team-${ctx.clientInfo?.name}` })).toBe('team-x');
    const fallback = await idOf({ name: 'x', version: '1' }, { trackingId: () => { throw new Error('nope'); } });
    expect(fallback).toBe(await idOf({ name: 'x', version: '1' }));
  });

  it('caps distinct tracking IDs on per-client metrics, recording the rest as _overflow', async () => {
    await withSessions({ maxTrackedClients: 3, trackingSecret: 'cap-test' });
    for (let i = 0; i < 6; i++) {
      const conn = await connectInMemory(createTestServer(), { name: `cap-client-${i}`, version: '1' });
      await conn.client.ping();
      await conn.close();
    }
    const metric = (await collectMetrics()).find((m) => m.descriptor.name === 'mcp.server.client.operations')!;
    const ids = new Set(metric.dataPoints.map((p) => p.attributes['mcp.client.tracking_id']));
    expect(ids.has('_overflow')).toBe(true);
    expect(ids.size).toBeLessThanOrEqual(3 + 1 + 20); // earlier tests' clients were admitted before this cap applied
    const overflowPings = metric.dataPoints
      .filter((p) => p.attributes['mcp.client.tracking_id'] === '_overflow' && p.attributes['mcp.method.name'] === 'ping')
      .reduce((n, p) => n + (p.value as number), 0);
    expect(overflowPings).toBeGreaterThanOrEqual(3);
  });

  it('counts a returning client on sessions started', async () => {
    await withSessions({ trackingSecret: 'returning-test' });
    const before = await sumOf('mcp.server.session.started', { 'mcp.client.returning': true, 'mcp.client.type': 'zed' });
    for (let i = 0; i < 2; i++) {
      const conn = await connectInMemory(createTestServer(), { name: 'Zed', version: '0.200' });
      await conn.close();
    }
    expect(await sumOf('mcp.server.session.started', { 'mcp.client.returning': true, 'mcp.client.type': 'zed' })).toBe(before + 1);
  });
});
