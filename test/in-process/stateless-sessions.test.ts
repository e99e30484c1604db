/*
 * Sessions synthesised for clients of the stateless revision (2026-07-28): a real v2 Client negotiating
 * that revision (no initialize, no session id) against a real v2 `createMcpHandler`, which builds a
 * Server per request, over minutes of fake time (Date and the idle sweeper's interval are faked).
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import * as serverV2 from '@modelcontextprotocol/server';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
import { z } from 'zod/v4';
import { v2Schema } from '../helpers/v2-schema';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { McpDisconnectReason, McpSession } from '../../dist/cjs/index.js';
import { registerLoggerProvider } from '../helpers/otel-sdk';
import { collectMetrics, instrument } from '../helpers/telemetry';

const logs = new InMemoryLogRecordExporter();
registerLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: logs })] }));

const MINUTE = 60_000;
const started: McpSession[] = [];
const ended: Array<{ session: McpSession; reason: McpDisconnectReason }> = [];

const handler = serverV2.createMcpHandler(() => {
  const server = new serverV2.McpServer({ name: 'stateless', version: '1' });
  server.registerTool('add', { inputSchema: v2Schema(z.object({ a: z.number(), b: z.number() })) }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  return server;
}, { legacy: 'reject' });

const bodies: string[] = [];
async function modernClient(name: string): Promise<Client> {
  const fetchToHandler = async (url: string | URL, init?: RequestInit) => {
    if (typeof init?.body === 'string') bodies.push(init.body);
    return handler.fetch(new Request(url, init));
  };
  const client = new Client({ name, version: '1.0' }, { versionNegotiation: { mode: 'auto' } });
  await client.connect(new StreamableHTTPClientTransport(new URL('http://127.0.0.1:9/mcp'), { fetch: fetchToHandler }));
  return client;
}

async function add(client: Client): Promise<void> {
  expect((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content).toEqual([{ type: 'text', text: '3' }]);
}

/** Sum of the up-down counter's points whose attributes include `attributes`. */
async function activeSessions(attributes: Record<string, unknown>): Promise<number> {
  const metric = (await collectMetrics()).find((m) => m.descriptor.name === 'mcp.server.session.active');
  const points = (metric?.dataPoints ?? []) as Array<DataPoint<number>>;
  return points.filter((p) => Object.entries(attributes).every(([k, v]) => p.attributes[k] === v)).reduce((sum, p) => sum + p.value, 0);
}

describe('synthesised sessions (stateless revision 2026-07-28)', () => {
  let instrumentation: Awaited<ReturnType<typeof instrument>>;
  beforeEach(async () => {
    instrumentation = await instrument({
      sessionIdleTimeout: 5 * MINUTE,
      onSessionStart: (session) => started.push({ ...session }),
      onSessionEnd: (session, reason) => ended.push({ session: { ...session }, reason }),
    });
    instrumentation.instrument(serverV2);
    instrumentation.endSessions();
    started.length = ended.length = bodies.length = 0;
    logs.reset();
    vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('start at the first request, count activity, end by timeout; a client that comes back starts a new one', async () => {
    const claude = await modernClient('Claude Code');
    await add(claude);
    expect(bodies.some((b) => b.includes('"initialize"'))).toBe(false);
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ synthesized: true, clientName: 'Claude Code', clientType: 'claude_code', protocolVersion: '2026-07-28', transport: 'tcp', returning: false, idFromTransport: false });
    expect(started[0].trackingId).toMatch(/^[0-9a-f]{16,}$/);
    const firstId = started[0].id;

    // Activity keeps it open: a call every 2 minutes, each through a new Server.
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime(2 * MINUTE);
      await add(claude);
    }
    // A second client has a session of its own.
    const cursor = await modernClient('Cursor');
    await add(cursor);
    expect(started.map((s) => s.clientType)).toEqual(['claude_code', 'cursor']);
    expect(ended).toEqual([]);
    expect(await activeSessions({ 'mcp.session.synthesized': true })).toBe(2);

    vi.advanceTimersByTime(4 * MINUTE); // 4 minutes idle: still open
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(2 * MINUTE); // past 5 minutes idle: both end
    expect(ended.map((e) => [e.session.clientType, e.reason])).toEqual([['claude_code', 'timeout'], ['cursor', 'timeout']]);
    const first = ended[0].session;
    expect(first.id).toBe(firstId);
    // server/discover and four tools/call, each through its own Server, counted on the one session.
    expect(bodies.filter((b) => b.includes('"Claude Code"')).map((b) => JSON.parse(b).method)).toEqual(['server/discover', 'tools/call', 'tools/call', 'tools/call', 'tools/call']);
    expect(first.requestCount).toBe(5);
    expect(first.errorCount).toBe(0);
    // It ended at the first sweep past the window after the last call (6 minutes of calls, then 5–6 idle).
    const duration = (first.endTime ?? 0) - first.startTime;
    expect(duration).toBeGreaterThanOrEqual(11 * MINUTE);
    expect(duration).toBeLessThanOrEqual(12 * MINUTE);
    expect(await activeSessions({ 'mcp.session.synthesized': true })).toBe(0);

    // Back after the timeout: a new session, marked returning.
    await add(claude);
    expect(started).toHaveLength(3);
    expect(started[2]).toMatchObject({ synthesized: true, clientType: 'claude_code', returning: true });
    expect(started[2].id).not.toBe(firstId);
    expect(started[2].trackingId).toBe(first.trackingId);

    // Shutdown ends what is open with server_shutdown.
    instrumentation.endSessions();
    expect(ended.map((e) => e.reason)).toEqual(['timeout', 'timeout', 'server_shutdown']);
    expect(ended[2].session.id).toBe(started[2].id);
    await claude.close();
    await cursor.close();

    const durations = (await collectMetrics()).find((m) => m.descriptor.name === 'mcp.server.session.duration');
    const points = (durations?.dataPoints ?? []) as Array<DataPoint<Histogram>>;
    const synthesized = points.filter((p) => p.attributes['mcp.session.synthesized'] === true);
    const byReason = (reason: string) => synthesized.filter((p) => p.attributes['mcp.session.disconnect_reason'] === reason).reduce((n, p) => n + p.value.count, 0);
    expect(byReason('timeout')).toBe(2);
    expect(byReason('server_shutdown')).toBeGreaterThanOrEqual(1);
    expect(synthesized[0].attributes).toMatchObject({ 'mcp.protocol.version': '2026-07-28', 'network.transport': 'tcp', 'network.protocol.name': 'http' });

    const events = logs.getFinishedLogRecords();
    const starts = events.filter((r) => r.eventName === 'mcp.session.start');
    const ends = events.filter((r) => r.eventName === 'mcp.session.end');
    expect(starts).toHaveLength(3);
    expect(ends).toHaveLength(3);
    for (const record of [...starts, ...ends]) expect(record.attributes['mcp.session.synthesized']).toBe(true);
    expect(ends[0].attributes).toMatchObject({ 'mcp.session.id': firstId, 'mcp.session.disconnect_reason': 'timeout', 'mcp.session.request_count': first.requestCount });
  });

  it('each call restarts the inactivity window', async () => {
    const claude = await modernClient('Claude Code');
    await add(claude);
    vi.advanceTimersByTime(4 * MINUTE);
    await add(claude);
    vi.advanceTimersByTime(4 * MINUTE); // 8 minutes since the start, 4 since the last call
    expect(ended).toEqual([]);
    vi.advanceTimersByTime(2 * MINUTE);
    expect(ended.map((e) => e.reason)).toEqual(['timeout']);
    await claude.close();
  });

  it('sessionIdleTimeout 0 synthesises none (there is no inactivity window to end them)', async () => {
    instrumentation.setConfig({ client: false, sessionIdleTimeout: 0, onSessionStart: (session) => started.push({ ...session }) });
    const claude = await modernClient('Claude Code');
    await add(claude);
    await add(claude);
    expect(started).toEqual([]);
    await claude.close();
  });
});
