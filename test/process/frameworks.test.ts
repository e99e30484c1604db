/*
 * Servers built with MCP frameworks, as their users run them, driven by real SDK
 * Clients (issue 9):
 * - fastmcp: `httpStream` (mcp-proxy's startHTTPServer: a Server and a Streamable
 *   HTTP transport per session) in this process; stdio in a child process.
 * - mcp-framework: `http-stream` (ONE SDK Server behind its own HttpStreamTransport,
 *   which keeps an SDK StreamableHTTPServerTransport per session) in this process;
 *   stdio (its own class around the SDK's StdioServerTransport) in a child process.
 * In-process servers report to an in-memory span exporter and the session hooks;
 * children are started with `--import mcp-otel/register` and export OTLP to a
 * receiver on 127.0.0.1. Every disconnect path is checked with its reason.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { McpDisconnectReason, McpInstrumentationConfig, McpSession } from '../../dist/cjs/index.js';
import { startFastMcpHttp, startFrameworkHttpChild, startMcpFrameworkHttp, stopFrameworkChildren, until } from '../helpers/frameworks';
import type { FrameworkHttpServer } from '../helpers/frameworks';
import { connectHttpClient } from '../helpers/http-server';
import type { HttpClient } from '../helpers/http-server';
import { flushOnlyEnv, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { jsonRpcLines, startStdioChild, stopAllChildren } from '../helpers/stdio-child';
import { instrument, resetTelemetry, spanExporter } from '../helpers/telemetry';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const started: McpSession[] = [];
const ended: Array<{ session: McpSession; reason: McpDisconnectReason }> = [];
const hooks: McpInstrumentationConfig = {
  onSessionStart: (session) => void started.push({ ...session }),
  onSessionEnd: (session, reason) => void ended.push({ session: { ...session }, reason }),
};

let servers: FrameworkHttpServer[] = [];
let clients: HttpClient[] = [];

async function connect(server: FrameworkHttpServer, name: string, version: string): Promise<HttpClient> {
  const client = await connectHttpClient(server.url, { name, version });
  clients.push(client);
  return client;
}

function endsOf(sessionId: string | undefined): Array<[string, McpDisconnectReason]> {
  return ended.filter((e) => e.session.id === sessionId).map((e) => [e.session.id, e.reason]);
}

function spansOfSession(sessionId: string | undefined): ReadableSpan[] {
  return spanExporter.getFinishedSpans().filter((s) => s.attributes['mcp.session.id'] === sessionId);
}

describe('frameworks over HTTP, in process', () => {
  beforeAll(async () => {
    await instrument(hooks);
  });
  beforeEach(async () => {
    await instrument(hooks); // back to the default configuration with the hooks
    resetTelemetry();
    started.length = 0;
    ended.length = 0;
  });
  afterEach(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    for (const s of servers) await s.stop().catch(() => undefined);
    clients = [];
    servers = [];
  });

  describe('fastmcp httpStream', () => {
    async function start(): Promise<FrameworkHttpServer> {
      const server = await startFastMcpHttp();
      servers.push(server);
      return server;
    }

    it('spans carry the real Mcp-Session-Id over tcp; a client DELETE ends the session once with client_disconnect', async () => {
      const server = await start();
      const { client, transport } = await connect(server, 'fastmcp-client', '1.2.3');
      const sessionId = transport.sessionId;
      expect(sessionId).toMatch(UUID);
      expect(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } })).toMatchObject({ content: [{ type: 'text', text: '5' }] });

      await transport.terminateSession(); // HTTP DELETE
      await until(() => ended.length > 0, 'the session to end');
      expect(endsOf(sessionId)).toEqual([[sessionId, 'client_disconnect']]);
      expect(ended[0].session).toMatchObject({ idFromTransport: true, transport: 'tcp', clientName: 'fastmcp-client', clientVersion: '1.2.3' });

      const names = spansOfSession(sessionId).map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['initialize', 'notifications/initialized', 'tools/call add']));
      for (const span of spansOfSession(sessionId)) {
        expect(span.attributes, span.name).toMatchObject({
          'network.transport': 'tcp',
          'network.protocol.name': 'http',
          'network.protocol.version': '1.1', // from the HTTP request mcp-proxy's transport handled
          'mcp.client.name': 'fastmcp-client',
          'mcp.client.version': '1.2.3',
        });
      }

      // Stopping the server afterwards does not end the same session a second time.
      await servers.pop()!.stop();
      expect(ended).toHaveLength(1);
    });

    it('stopping the server ends every open session with server_shutdown', async () => {
      const server = await start();
      const a = await connect(server, 'fastmcp-a', '1');
      const b = await connect(server, 'fastmcp-b', '1');
      await a.client.listTools();
      await b.client.listTools();
      await servers.pop()!.stop();
      await until(() => ended.length >= 2, 'both sessions to end');
      expect(ended.map((e) => [e.session.id, e.reason]).sort()).toEqual(
        [
          [a.transport.sessionId, 'server_shutdown'],
          [b.transport.sessionId, 'server_shutdown'],
        ].sort(),
      );
    });

    it('an idle session ends with timeout, and closeIdleSessions closes it in fastmcp too', async () => {
      await instrument({ ...hooks, sessionIdleTimeout: 300, closeIdleSessions: true });
      const server = await start();
      const { client, transport } = await connect(server, 'fastmcp-idle', '1');
      await client.listTools();
      await until(() => ended.length > 0, 'the idle timeout', 5000);
      expect(endsOf(transport.sessionId)).toEqual([[transport.sessionId, 'timeout']]);
      // The framework's session is gone: its id is no longer accepted.
      await expect(client.listTools()).rejects.toThrow(/404|not found/i);
      expect(ended).toHaveLength(1);
    });
  });

  describe('mcp-framework http-stream (one Server for all sessions)', () => {
    async function start(): Promise<FrameworkHttpServer> {
      const server = await startMcpFrameworkHttp();
      servers.push(server);
      return server;
    }

    it('three concurrent sessions each get their own real session id, client attributes and network.transport=tcp', async () => {
      const server = await start();
      const infos = [1, 2, 3].map((i) => ({ name: `mf-client-${i}`, version: `${i}.0.${i}` }));
      const connected = await Promise.all(infos.map((info) => connect(server, info.name, info.version)));
      await Promise.all(connected.map((c, i) => c.client.callTool({ name: 'echo', arguments: { text: `from ${i}` } })));
      await Promise.all(connected.map((c) => c.client.listTools()));

      const ids = connected.map((c) => c.transport.sessionId);
      for (const id of ids) expect(id).toMatch(UUID);
      expect(new Set(ids).size).toBe(3);

      // One session per client, identified by the Mcp-Session-Id the client was given.
      expect(started.map((s) => s.id).sort()).toEqual([...ids].sort());
      for (const [i, id] of ids.entries()) {
        const session = started.find((s) => s.id === id);
        expect(session).toMatchObject({ idFromTransport: true, transport: 'tcp', clientName: infos[i].name, clientVersion: infos[i].version });
      }

      await until(() => ids.every((id) => spansOfSession(id).filter((s) => s.name === 'tools/list').length === 1), 'a tools/list span per session');
      const mcpSpans = spanExporter.getFinishedSpans();
      // Every span belongs to one of the three real sessions (no generated id, no missing id).
      for (const span of mcpSpans) expect(ids, span.name).toContain(span.attributes['mcp.session.id']);
      for (const [i, id] of ids.entries()) {
        const spans = spansOfSession(id);
        expect(spans.map((s) => s.name).sort()).toEqual(['initialize', 'notifications/initialized', 'tools/call echo', 'tools/list']);
        for (const span of spans) {
          expect(span.attributes, `${span.name} of ${infos[i].name}`).toMatchObject({
            'network.transport': 'tcp',
            'network.protocol.name': 'http',
            'network.protocol.version': '1.1',
            'mcp.client.name': infos[i].name,
            'mcp.client.version': infos[i].version,
          });
        }
        const initialize = spans.find((s) => s.name === 'initialize')!;
        expect(initialize.attributes['mcp.protocol.version']).toEqual(expect.any(String));
        // Each request span ended with its own response (no cross-session mix-up of JSON-RPC ids).
        for (const span of spans) expect(span.attributes, span.name).not.toHaveProperty('error.type');
      }
      expect(ended).toEqual([]);
    });

    it('a DELETE ends only that session (client_disconnect); stopping the server ends the others (server_shutdown)', async () => {
      const server = await start();
      const a = await connect(server, 'mf-a', '1');
      const b = await connect(server, 'mf-b', '1');
      const c = await connect(server, 'mf-c', '1');
      await a.client.listTools();
      await b.client.listTools();
      await c.client.listTools();
      const [idA, idB, idC] = [a, b, c].map((x) => x.transport.sessionId);

      await a.transport.terminateSession(); // HTTP DELETE
      await until(() => ended.length > 0, 'the deleted session to end');
      expect(ended.map((e) => [e.session.id, e.reason, e.session.clientName])).toEqual([[idA, 'client_disconnect', 'mf-a']]);
      expect(await b.client.listTools()).toHaveProperty('tools'); // the others are still served

      await servers.pop()!.stop();
      await until(() => ended.length >= 3, 'the other sessions to end');
      expect(ended.map((e) => [e.session.id, e.reason]).sort()).toEqual(
        [
          [idA, 'client_disconnect'],
          [idB, 'server_shutdown'],
          [idC, 'server_shutdown'],
        ].sort(),
      );
    });

    it('an idle session times out on its own while another stays active; closeIdleSessions closes just that one', async () => {
      // Long enough that the busy session's back-to-back pings never leave a gap that big, even on a loaded machine.
      await instrument({ ...hooks, sessionIdleTimeout: 1000, closeIdleSessions: true });
      const server = await start();
      const idle = await connect(server, 'mf-idle', '1');
      const busy = await connect(server, 'mf-busy', '1');
      await idle.client.listTools();
      const deadline = Date.now() + 8000;
      while (ended.length === 0 && Date.now() < deadline) await busy.client.ping(); // activity on the other session only
      expect(ended.map((e) => [e.session.id, e.reason])).toEqual([[idle.transport.sessionId, 'timeout']]);
      await expect(idle.client.listTools()).rejects.toThrow(/404|not found/i);
      expect(await busy.client.listTools()).toHaveProperty('tools');
      expect(ended).toHaveLength(1);
    });
  });
});

describe('frameworks in child processes with --import mcp-otel/register', () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(async () => {
    await stopAllChildren();
    await stopFrameworkChildren();
  });
  afterAll(async () => {
    await stopAllChildren();
    await stopFrameworkChildren();
    await receiver.close();
  });

  const childEnv = (service: string) => flushOnlyEnv(receiver, service);
  const sessionEnds = (service: string) => receiver.latestPoints('mcp.server.session.duration', service);

  it('mcp-framework http-stream: two sessions on its one Server export their own session ids and clients; SIGTERM ends both', async () => {
    const service = 'mcp-framework-http';
    const child = await startFrameworkHttpChild('mcp-framework-http.mjs', ['--import', 'mcp-otel/register'], childEnv(service));
    const one = await connectHttpClient(child.url, { name: 'mf-http-one', version: '1.0.0' });
    const two = await connectHttpClient(child.url, { name: 'mf-http-two', version: '2.0.0' });
    try {
      await one.client.callTool({ name: 'echo', arguments: { text: 'one' } });
      await two.client.callTool({ name: 'echo', arguments: { text: 'two' } });
      const ids = [one.transport.sessionId, two.transport.sessionId];
      child.kill('SIGTERM');
      await child.exited;
      await receiver.waitFor(() => sessionEnds(service).length > 0, 10_000, 'session duration');
      expect(sessionEnds(service).map((p) => [p.attributes['mcp.session.disconnect_reason'], p.attributes['network.transport'], p.count])).toEqual([
        ['server_shutdown', 'tcp', 2],
      ]);
      const calls = receiver.spans().filter((s) => s.resource['service.name'] === service && s.name === 'tools/call echo');
      expect(calls.map((s) => [s.attributes['mcp.session.id'], s.attributes['mcp.client.name'], s.attributes['network.transport']]).sort()).toEqual(
        [
          [ids[0], 'mf-http-one', 'tcp'],
          [ids[1], 'mf-http-two', 'tcp'],
        ].sort(),
      );
    } finally {
      await one.close().catch(() => undefined);
      await two.close().catch(() => undefined);
    }
  });

  const APPS = [
    { framework: 'fastmcp', app: 'frameworks/fastmcp-stdio.mjs' },
    { framework: 'mcp-framework', app: 'frameworks/mcp-framework-stdio.mjs' },
  ];

  describe.each(APPS)('$framework stdio', ({ framework, app }) => {
    it('the client closing stdin ends the session once with client_disconnect', async () => {
      const service = `${framework}-stdin-end`;
      const child = await startStdioChild({ app, nodeArgs: ['--import', 'mcp-otel/register'], env: childEnv(service), clientInfo: { name: `${framework}-client`, version: '0.9.1' } });
      await child.client.callTool({ name: 'echo', arguments: { text: 'over a pipe' } });
      await child.client.close(); // ends the child's stdin
      const exit = await child.exited;
      expect(exit.signal).toBeNull(); // it exited by itself, not by the client's SIGTERM fallback
      await receiver.waitFor(() => sessionEnds(service).length > 0, 10_000, 'session duration');
      const points = sessionEnds(service);
      expect(points.map((p) => [p.attributes['mcp.session.disconnect_reason'], p.count])).toEqual([['client_disconnect', 1]]);
      expect(points[0].attributes['network.transport']).toBe('pipe');
      const spans = receiver.spans().filter((s) => s.resource['service.name'] === service);
      const call = spans.find((s) => s.name === 'tools/call echo');
      expect(call?.attributes).toMatchObject({ 'network.transport': 'pipe', 'mcp.client.name': `${framework}-client`, 'mcp.client.version': '0.9.1' });
      expect(call?.attributes['mcp.session.id']).toMatch(UUID);
      expect(() => jsonRpcLines(child.stdout())).not.toThrow(); // nothing but JSON-RPC on stdout
    });

    it('SIGTERM ends the session with server_shutdown, flushed before exit', async () => {
      const service = `${framework}-sigterm`;
      const child = await startStdioChild({ app, nodeArgs: ['--import', 'mcp-otel/register'], env: childEnv(service) });
      await child.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
      child.kill('SIGTERM');
      await child.exited;
      await receiver.waitFor(() => sessionEnds(service).length > 0, 10_000, 'session duration');
      expect(sessionEnds(service).map((p) => [p.attributes['mcp.session.disconnect_reason'], p.count])).toEqual([['server_shutdown', 1]]);
      expect(receiver.spans().filter((s) => s.resource['service.name'] === service).map((s) => s.name)).toContain('tools/call add');
    });
  });
});
