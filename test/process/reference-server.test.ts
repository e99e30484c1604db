/*
 * Published reference servers, run the way their users run them, not a line changed, under
 * `node --import mcp-otel/register`:
 * - @modelcontextprotocol/server-everything (the MCP project's own test server, McpServer with tools, resources
 *   and prompts), over stdio (its default) and over Streamable HTTP (its Express app);
 * - @modelcontextprotocol/server-filesystem, over stdio, given its directory as an argument: it asks its client
 *   for `roots/list` as soon as the session is initialised, the server-to-client request path.
 * A real SDK Client drives them; OTLP in the default protobuf encoding goes to the test's receiver on 127.0.0.1.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHttpChild, stopFrameworkChildren } from '../helpers/frameworks';
import { flushOnlyEnv, OTLP_SPAN_KIND, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver';
import { jsonRpcLines, REPO_ROOT, startStdioChild, stopAllChildren } from '../helpers/stdio-child';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

const EVERYTHING = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
const FILESYSTEM = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
const REGISTER = ['--import', 'mcp-otel/register'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver({ keepBodies: true });
});
afterEach(async () => {
  await stopAllChildren();
  await stopFrameworkChildren();
});
afterAll(async () => {
  await receiver?.close();
});

/** What a user does with the server: list and call tools (one with bad arguments), read a resource, get a prompt. */
async function use(client: Client): Promise<void> {
  const tools = await client.listTools();
  expect(tools.tools.map((t) => t.name)).toContain('get-sum');
  const echo = await client.callTool({ name: 'echo', arguments: { message: 'secret-argument-value' } });
  expect((echo.content as Array<{ text: string }>)[0].text).toBe('Echo: secret-argument-value');
  await client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
  const bad = await client.callTool({ name: 'get-sum', arguments: { a: 'one', b: 2 } });
  expect(bad.isError).toBe(true);
  await client.readResource({ uri: 'demo://resource/dynamic/text/1' });
  await client.getPrompt({ name: 'simple-prompt' });
}

function spansOf(service: string): ReceivedSpan[] {
  return receiver.spans().filter((s) => s.resource['service.name'] === service);
}

/** The spans and metric points of `use()`, as they arrive from the server. */
function expectTelemetryOfUse(service: string, transport: 'pipe' | 'tcp', client: { name: string; version: string }): ReceivedSpan[] {
  const spans = spansOf(service);
  const names = spans.map((s) => s.name);
  for (const name of ['initialize', 'tools/list', 'tools/call echo', 'tools/call get-sum', 'resources/read', 'prompts/get simple-prompt']) {
    expect(names, name).toContain(name);
  }
  const echo = spans.find((s) => s.name === 'tools/call echo')!;
  expect(echo.kind).toBe(OTLP_SPAN_KIND.SERVER);
  expect(echo.attributes).toMatchObject({
    'mcp.method.name': 'tools/call',
    'gen_ai.tool.name': 'echo',
    'gen_ai.operation.name': 'execute_tool',
    'network.transport': transport,
    'mcp.client.name': client.name,
    'mcp.client.version': client.version,
  });
  expect(echo.attributes['mcp.protocol.version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  expect(echo.attributes['mcp.session.id']).toMatch(UUID);
  // Private by default: no argument or result reaches the backend, in any signal (the client's name does).
  expect(receiver.bodies().some((body) => body.includes(client.name))).toBe(true);
  expect(receiver.bodies().some((body) => body.includes('secret-argument-value'))).toBe(false);
  // The bad arguments: the server answered with isError, a tool error in the conventions' terms.
  const sums = spans.filter((s) => s.name === 'tools/call get-sum');
  expect(sums.map((s) => s.attributes['error.type'] ?? 'ok').sort()).toEqual(['ok', 'tool_error']);
  const points = receiver.latestPoints('mcp.server.operation.duration', service);
  const calls = points.filter((p) => p.attributes['mcp.method.name'] === 'tools/call' && p.attributes['gen_ai.tool.name'] === 'get-sum');
  expect(calls.map((p) => [p.attributes['error.type'] ?? 'ok', p.count]).sort()).toEqual([['ok', 1], ['tool_error', 1]]);
  return spans;
}

describe('@modelcontextprotocol/server-everything under --import mcp-otel/register', () => {
  it('over stdio: every request a span, the bad call a tool_error, the session ended by the client closing stdin', async () => {
    const service = 'everything-stdio';
    const clientInfo = { name: 'everything-client', version: '3.1.4' };
    const child = await startStdioChild({ app: EVERYTHING, nodeArgs: REGISTER, env: flushOnlyEnv(receiver, service), clientInfo });
    await use(child.client);
    await child.client.close(); // ends the server's stdin; it exits once nothing is left to do
    await child.exited;
    await receiver.waitFor(() => receiver.latestPoints('mcp.server.session.duration', service).length > 0, 10_000, 'session duration');
    expectTelemetryOfUse(service, 'pipe', clientInfo);
    const ends = receiver.latestPoints('mcp.server.session.duration', service);
    expect(ends.map((p) => [p.attributes['mcp.session.disconnect_reason'], p.count])).toEqual([['client_disconnect', 1]]);
    expect(() => jsonRpcLines(child.stdout())).not.toThrow(); // nothing but JSON-RPC on stdout
  });

  it('SIGINT, which the server handles itself (close, then process.exit): what was recorded still arrives', async () => {
    const service = 'everything-sigint';
    const clientInfo = { name: 'everything-sigint-client', version: '1.0.0' };
    const child = await startStdioChild({ app: EVERYTHING, nodeArgs: REGISTER, env: flushOnlyEnv(receiver, service), clientInfo });
    await use(child.client);
    child.kill('SIGINT');
    const exit = await child.exited;
    expect(exit.code).toBe(0); // its own handler's exit code, not a signal death
    await receiver.waitFor(() => receiver.latestPoints('mcp.server.session.duration', service).length > 0, 10_000, 'session duration');
    expectTelemetryOfUse(service, 'pipe', clientInfo);
    const ends = receiver.latestPoints('mcp.server.session.duration', service);
    expect(ends.map((p) => [p.attributes['mcp.session.disconnect_reason'], p.count])).toEqual([['server_shutdown', 1]]);
  });

  it('over Streamable HTTP (its Express app): MCP spans linked to HTTP server spans, DELETE ends the session', async () => {
    const service = 'everything-http';
    const clientInfo = { name: 'everything-http-client', version: '2.7.1' };
    const child = await startHttpChild(EVERYTHING, { nodeArgs: REGISTER, env: flushOnlyEnv(receiver, service), args: ['streamableHttp'], probe: '/mcp' });
    const transport = new StreamableHTTPClientTransport(child.url);
    const client = new Client(clientInfo);
    await client.connect(transport);
    const sessionId = transport.sessionId;
    await use(client);
    await transport.terminateSession(); // HTTP DELETE
    await client.close();
    child.kill('SIGTERM');
    await child.exited;
    await receiver.waitFor(() => receiver.latestPoints('mcp.server.session.duration', service).length > 0, 10_000, 'session duration');
    const spans = expectTelemetryOfUse(service, 'tcp', clientInfo);
    const echo = spans.find((s) => s.name === 'tools/call echo')!;
    expect(echo.attributes['mcp.session.id']).toBe(sessionId);
    const httpSpanIds = new Set(spans.filter((s) => s.kind === OTLP_SPAN_KIND.SERVER && s.attributes['http.request.method'] !== undefined).map((s) => s.spanId));
    expect(echo.links.map((l) => l.spanId).filter((id) => httpSpanIds.has(id))).toHaveLength(1);
    const ends = receiver.latestPoints('mcp.server.session.duration', service);
    expect(ends.map((p) => [p.attributes['mcp.session.disconnect_reason'], p.count])).toEqual([['client_disconnect', 1]]);
  });
});

describe('@modelcontextprotocol/server-filesystem under --import mcp-otel/register', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-otel-fs-private-'));
    writeFileSync(path.join(dir, 'notes.txt'), 'private-file-content');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("over stdio: its roots/list to the client a CLIENT span in the session's trace; no path or content exported", async () => {
    const service = 'filesystem-stdio';
    const clientInfo = { name: 'filesystem-client', version: '0.9.0' };
    const rootsAsked: string[] = [];
    const child = await startStdioChild({
      app: FILESYSTEM,
      args: [dir],
      nodeArgs: REGISTER,
      env: flushOnlyEnv(receiver, service),
      clientInfo,
      clientCapabilities: { roots: { listChanged: true } },
      beforeConnect: (client) =>
        client.setRequestHandler(ListRootsRequestSchema, async () => {
          rootsAsked.push('roots/list');
          return { roots: [{ uri: pathToFileURL(dir).href, name: 'notes' }] };
        }),
    });
    await receiver.waitFor(() => rootsAsked.length > 0, 10_000, 'the server asking for roots');
    const tools = await child.client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('read_text_file');
    const inside = await child.client.callTool({ name: 'read_text_file', arguments: { path: path.join(dir, 'notes.txt') } });
    expect((inside.content as Array<{ text: string }>)[0].text).toBe('private-file-content');
    const outside = await child.client.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } });
    expect(outside.isError).toBe(true);
    await child.client.close();
    await child.exited;
    await receiver.waitFor(() => receiver.latestPoints('mcp.server.session.duration', service).length > 0, 10_000, 'session duration');

    const spans = spansOf(service);
    const reads = spans.filter((s) => s.name === 'tools/call read_text_file');
    expect(reads.map((s) => s.attributes['error.type'] ?? 'ok').sort()).toEqual(['ok', 'tool_error']);
    const sessionId = reads[0].attributes['mcp.session.id'];
    expect(sessionId).toMatch(UUID);
    // The server's own request to its client: a CLIENT span with the session's attributes, inside the trace of
    // the message it was sent from.
    const roots = spans.filter((s) => s.name === 'roots/list');
    expect(roots).toHaveLength(1);
    expect(roots[0].kind).toBe(OTLP_SPAN_KIND.CLIENT);
    expect(roots[0].attributes).toMatchObject({
      'mcp.method.name': 'roots/list',
      'mcp.session.id': sessionId,
      'network.transport': 'pipe',
      'mcp.client.name': clientInfo.name,
    });
    expect(roots[0].attributes['error.type']).toBeUndefined();
    const parent = spans.find((s) => s.spanId === roots[0].parentSpanId);
    expect(parent?.kind, 'the parent is one of the server spans').toBe(OTLP_SPAN_KIND.SERVER);
    expect(parent?.traceId).toBe(roots[0].traceId);
    // Private by default: not the directory (an argument of the process, and the client's root), not the path
    // asked for, not the file's content.
    for (const secret of [dir, 'private-file-content', '/etc/hostname']) {
      expect(receiver.bodies().some((body) => body.includes(secret)), secret).toBe(false);
    }
    const ends = receiver.latestPoints('mcp.server.session.duration', service);
    expect(ends.map((p) => [p.attributes['mcp.session.disconnect_reason'], p.count])).toEqual([['client_disconnect', 1]]);
  });
});
