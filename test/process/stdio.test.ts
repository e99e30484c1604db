/*
 * stdio transport, end to end: a real fixture server in a child process, a real
 * Client over StdioClientTransport, OTLP export to a real receiver.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmptyResultSchema, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { OTLP_SPAN_KIND, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver';
import { CLIENT_INFO, jsonRpcLines, startStdioChild, stopAllChildren } from '../helpers/stdio-child';
import type { StdioChild } from '../helpers/stdio-child';

const TEST_TIMEOUT = 20_000;
const CALL = { timeout: 5000 };

/** What the client sends, in order; each gets exactly one SERVER span. */
const REQUEST_SPANS = ['initialize', 'ping', 'tools/list', 'tools/call echo', 'tools/call add', 'unknown/method'];
const NOTIFICATION_SPANS = ['notifications/initialized', 'notifications/roots/list_changed'];

const APPS = [
  { title: 'ESM build of the SDK (--import)', app: 'esm-app.mjs', nodeArgs: ['--import', 'mcp-otel/register'] },
  { title: 'CommonJS build of the SDK (--require)', app: 'cjs-app.cjs', nodeArgs: ['--require', 'mcp-otel/register'] },
];

describe.each(APPS)('stdio transport: $title', (app) => {
  let receiver: OtlpReceiver;
  let child: StdioChild;
  let unknownMethodError: unknown;
  let waitError: Error | undefined;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    child = await startStdioChild({
      app: app.app,
      nodeArgs: app.nodeArgs,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_SERVICE_NAME: 'stdio-test',
        OTEL_METRIC_EXPORT_INTERVAL: '500',
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      clientCapabilities: { roots: { listChanged: true } },
    });
    const { client } = child;
    await client.ping(CALL);
    await client.listTools(undefined, CALL);
    await client.callTool({ name: 'echo', arguments: { text: 'over a pipe' } }, undefined, CALL);
    await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }, undefined, CALL);
    unknownMethodError = await client.request({ method: 'unknown/method', params: {} } as never, EmptyResultSchema, CALL).then(
      () => undefined,
      (err: unknown) => err,
    );
    await client.sendRootsListChanged();
    waitError = await receiver
      .waitFor(
        () => [...REQUEST_SPANS, ...NOTIFICATION_SPANS].every((n) => receiver.spans().some((s) => s.name === n)),
        10_000,
        'a span for every request and notification',
      )
      .then(
        () => undefined,
        (err: Error) => err,
      );
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await stopAllChildren();
    await receiver?.close();
  }, TEST_TIMEOUT);

  function spansNamed(name: string): ReceivedSpan[] {
    return receiver.spans().filter((s) => s.name === name);
  }

  it('exports exactly one SERVER span per request and per notification', () => {
    expect(waitError).toBeUndefined();
    expect((unknownMethodError as McpError | undefined)?.code).toBe(ErrorCode.MethodNotFound);
    const names = receiver.spans().map((s) => s.name);
    expect([...names].sort()).toEqual([...REQUEST_SPANS, ...NOTIFICATION_SPANS].sort());
    for (const span of receiver.spans()) expect(span.kind, span.name).toBe(OTLP_SPAN_KIND.SERVER);
  });

  it('puts network.transport=pipe on every span, and no session id from the transport', () => {
    const spans = receiver.spans();
    expect(spans.length).toBe(REQUEST_SPANS.length + NOTIFICATION_SPANS.length);
    for (const span of spans) {
      expect(span.attributes['network.transport'], span.name).toBe('pipe');
      // stdio is not HTTP
      expect(span.attributes, span.name).not.toHaveProperty('network.protocol.name');
      expect(span.attributes, span.name).not.toHaveProperty('network.protocol.version');
    }
    // StdioServerTransport has no session id: mcp-otel generates one when the session starts
    // (a UUID), and the whole connection (one stdio process) shares it, initialize included.
    const sessionIds = new Set(spans.map((s) => s.attributes['mcp.session.id']));
    expect(sessionIds.size, `session ids: ${[...sessionIds].join(', ')}`).toBe(1);
    const [sessionId] = sessionIds;
    expect(sessionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('gives each request span the JSON-RPC id of the response the server wrote', () => {
    const responseIds = (jsonRpcLines(child.stdout()) as Array<{ id?: unknown }>).map((m) => String(m.id));
    expect(responseIds.length).toBe(REQUEST_SPANS.length);
    const spanIds = REQUEST_SPANS.map((name) => spansNamed(name)[0]?.attributes['jsonrpc.request.id']);
    expect([...spanIds].sort()).toEqual([...responseIds].sort());
    const unknown = spansNamed('unknown/method')[0];
    expect(unknown.attributes['rpc.response.status_code']).toBe(String(ErrorCode.MethodNotFound));
  });

  it('gives notifications/initialized a SERVER span with the client and protocol version', () => {
    const [span] = spansNamed('notifications/initialized');
    expect(span).toBeDefined();
    expect(span.kind).toBe(OTLP_SPAN_KIND.SERVER);
    expect(span.attributes).toMatchObject({
      'mcp.method.name': 'notifications/initialized',
      'network.transport': 'pipe',
      'mcp.client.name': CLIENT_INFO.name,
      'mcp.client.version': CLIENT_INFO.version,
      'mcp.protocol.version': spansNamed('initialize')[0]?.attributes['mcp.protocol.version'],
    });
    expect(span.attributes).not.toHaveProperty('jsonrpc.request.id');
    expect(span.attributes).not.toHaveProperty('error.type');
    expect(span.resource['service.name']).toBe('stdio-test');
    // The client sends it after the initialize response. Within a millisecond: the SDK anchors each span's
    // clock to Date.now() at its start, so two spans' timestamps can disagree by up to 1 ms.
    expect(span.startTimeUnixNano + 1_000_000n >= spansNamed('initialize')[0].startTimeUnixNano).toBe(true);
  });

  it('records duration points with network.transport=pipe for requests and notifications', async () => {
    await receiver.waitFor(
      () => {
        const methods = new Set(receiver.metric('mcp.server.operation.duration')?.dataPoints.map((p) => p.attributes['mcp.method.name']));
        return ['initialize', 'ping', 'tools/list', 'tools/call', 'notifications/initialized'].every((m) => methods.has(m));
      },
      10_000,
      'duration points for every method',
    );
    const points = receiver.metric('mcp.server.operation.duration')!.dataPoints;
    for (const point of points) {
      expect(point.attributes['network.transport']).toBe('pipe');
      // Session ids are unbounded: never a metric attribute.
      expect(point.attributes).not.toHaveProperty('mcp.session.id');
    }
  }, TEST_TIMEOUT);
});
