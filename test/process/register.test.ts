/*
 * End to end: real MCP servers (test/fixtures) in child processes, enabled the
 * four ways mcp-otel supports, a real SDK Client over stdio, and the real
 * OpenTelemetry Node SDK exporting OTLP/HTTP to a real receiver on 127.0.0.1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { OTLP_SPAN_KIND, OTLP_STATUS_CODE, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { Encoding, OtlpReceiver, ReceivedDataPoint, ReceivedSpan } from '../helpers/otlp-receiver';
import { CLIENT_INFO, delay, jsonRpcLines, startStdioChild, stopAllChildren, waitUntil, withTimeout } from '../helpers/stdio-child';
import type { StdioChild } from '../helpers/stdio-child';

const TEST_TIMEOUT = 20_000;
const WAIT = 10_000;
const CALL = { timeout: 5000 };
const DURATION = 'mcp.server.operation.duration';

interface App {
  title: string;
  app: string;
  nodeArgs: string[];
  /** OTLP encoding the child exports with (both are exercised). */
  encoding: Encoding;
}

const APPS: App[] = [
  { title: 'ESM app, node --import mcp-otel/register', app: 'esm-app.mjs', nodeArgs: ['--import', 'mcp-otel/register'], encoding: 'protobuf' },
  { title: 'CommonJS app, node --require mcp-otel/register', app: 'cjs-app.cjs', nodeArgs: ['--require', 'mcp-otel/register'], encoding: 'json' },
  { title: "ESM app whose first import is 'mcp-otel/register'", app: 'esm-self-register.mjs', nodeArgs: [], encoding: 'protobuf' },
  { title: "CommonJS app calling require('mcp-otel').register()", app: 'cjs-programmatic.cjs', nodeArgs: [], encoding: 'json' },
];
const [ESM_IMPORT, CJS_REQUIRE, , CJS_PROGRAMMATIC] = APPS;

/** The child's whole environment (the stdio transport adds only PATH, HOME, USER, SHELL, TERM, LOGNAME). */
function childEnv(receiver: OtlpReceiver, serviceName: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: serviceName,
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    ...extra,
  };
}

function protocolOf(encoding: Encoding): string {
  return encoding === 'json' ? 'http/json' : 'http/protobuf';
}

function textOf(result: unknown): string {
  const content = (result as CallToolResult).content;
  const first = content[0];
  return first?.type === 'text' ? first.text : '';
}

function serverSpan(receiver: OtlpReceiver, name: string): ReceivedSpan {
  const found = receiver.spans().filter((s) => s.name === name);
  if (found.length !== 1) throw new Error(`expected one span "${name}", got ${found.length}; ${receiver.summary()}`);
  return found[0];
}

function durationPoints(receiver: OtlpReceiver): ReceivedDataPoint[] {
  return receiver.metric(DURATION)?.dataPoints ?? [];
}

/** Count of the (cumulative) duration points for `method`, optionally only those with `error.type`. */
function durationCount(receiver: OtlpReceiver, method: string, errorType?: string): number {
  return durationPoints(receiver)
    .filter((p) => p.attributes['mcp.method.name'] === method && (errorType === undefined || p.attributes['error.type'] === errorType))
    .reduce((n, p) => n + (p.count ?? 0), 0);
}

/** The JSON-RPC response the child wrote for the first message matching `pick`. */
function responseId(child: StdioChild, pick: (result: Record<string, unknown>) => boolean): string {
  const responses = jsonRpcLines(child.stdout()) as Array<{ id?: unknown; result?: Record<string, unknown> }>;
  const found = responses.find((m) => m.id !== undefined && m.result !== undefined && pick(m.result));
  if (!found) throw new Error('no such response on stdout');
  return String(found.id);
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_SPAN_ID = '00f067aa0ba902b7';

describe.each(APPS)('register: $title', (app) => {
  let receiver: OtlpReceiver;
  let child: StdioChild;
  let echo: unknown;
  let failed: unknown;
  let activeSpan: { traceId: string; spanId: string } | null;
  let toolNames: string[];
  let waitError: Error | undefined;
  const serviceName = `register-test-${app.app.replace(/\W/g, '-')}`;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    child = await startStdioChild({
      app: app.app,
      nodeArgs: app.nodeArgs,
      env: childEnv(receiver, serviceName, { OTEL_EXPORTER_OTLP_PROTOCOL: protocolOf(app.encoding) }),
    });
    toolNames = (await child.client.listTools(undefined, CALL)).tools.map((t) => t.name);
    echo = await child.client.callTool({ name: 'echo', arguments: { text: 'hello' } }, undefined, CALL);
    failed = await child.client.callTool({ name: 'throws', arguments: {} }, undefined, CALL);
    activeSpan = JSON.parse(
      textOf(
        await child.client.callTool(
          { name: 'active-span', arguments: {}, _meta: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` } },
          undefined,
          CALL,
        ),
      ),
    );
    // A timeout is reported by the first test below rather than failing the hook (which would skip the rest).
    waitError = await receiver.waitFor(
      () =>
        ['initialize', 'tools/list', 'tools/call echo', 'tools/call throws', 'tools/call active-span'].every((n) =>
          receiver.spans().some((s) => s.name === n),
        ) &&
        durationCount(receiver, 'tools/call') >= 3 &&
        durationCount(receiver, 'tools/list') >= 1 &&
        durationCount(receiver, 'initialize') >= 1,
      WAIT,
      'spans and duration points of every request',
    ).then(
      () => undefined,
      (err: Error) => err,
    );
  }, TEST_TIMEOUT);

  afterAll(async () => {
    await stopAllChildren();
    await receiver?.close();
  }, TEST_TIMEOUT);

  it('delivers spans and duration points for every request to the OTLP receiver', () => {
    expect(waitError).toBeUndefined();
  });

  it('serves the tools normally', () => {
    expect(toolNames).toEqual(expect.arrayContaining(['echo', 'add', 'throws', 'active-span']));
    expect(textOf(echo)).toBe('hello');
    expect((failed as CallToolResult).isError).toBe(true);
    expect(textOf(failed)).toContain('tool exploded');
  });

  it('exports in the configured OTLP encoding, and nothing the receiver rejects', () => {
    expect(receiver.errors()).toEqual([]);
    const signals = receiver.requests().filter((r) => r.signal !== 'logs');
    expect(signals.length).toBeGreaterThan(0);
    expect(new Set(signals.map((r) => r.encoding))).toEqual(new Set([app.encoding]));
  });

  it('exports a SERVER span for initialize, tools/list and each tools/call with the MCP attributes', () => {
    const protocolVersion = (jsonRpcLines(child.stdout()) as Array<{ result?: { protocolVersion?: string } }>).find(
      (m) => m.result?.protocolVersion,
    )?.result?.protocolVersion;
    expect(protocolVersion).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const expected: Array<[string, string, (r: Record<string, unknown>) => boolean]> = [
      ['initialize', 'initialize', (r) => r.protocolVersion !== undefined],
      ['tools/list', 'tools/list', (r) => Array.isArray(r.tools)],
      ['tools/call echo', 'tools/call', (r) => JSON.stringify(r.content) === JSON.stringify([{ type: 'text', text: 'hello' }])],
    ];
    for (const [name, method, pick] of expected) {
      const span = serverSpan(receiver, name);
      expect(span.kind, name).toBe(OTLP_SPAN_KIND.SERVER);
      expect(span.resource['service.name'], name).toBe(serviceName);
      expect(span.attributes, name).toMatchObject({
        'mcp.method.name': method,
        'jsonrpc.request.id': responseId(child, pick),
        'network.transport': 'pipe',
        'mcp.client.name': CLIENT_INFO.name,
        'mcp.client.version': CLIENT_INFO.version,
        'mcp.protocol.version': protocolVersion,
      });
      expect(span.status.code, name).toBe(OTLP_STATUS_CODE.UNSET);
      expect(span.attributes['error.type'], name).toBeUndefined();
      expect(span.endTimeUnixNano >= span.startTimeUnixNano, name).toBe(true);
    }
    const call = serverSpan(receiver, 'tools/call echo');
    expect(call.attributes).toMatchObject({ 'gen_ai.tool.name': 'echo', 'gen_ai.operation.name': 'execute_tool' });
    // Spans of different requests are separate traces (stdio has no ambient context).
    expect(serverSpan(receiver, 'initialize').traceId).not.toBe(call.traceId);
    expect(call.parentSpanId).toBe('');
  });

  it('marks the failing tool call with error.type=tool_error and status ERROR', () => {
    const span = serverSpan(receiver, 'tools/call throws');
    expect(span.kind).toBe(OTLP_SPAN_KIND.SERVER);
    expect(span.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'throws', 'error.type': 'tool_error' });
    expect(span.status.code).toBe(OTLP_STATUS_CODE.ERROR);
  });

  it('records mcp.server.operation.duration in seconds, per method, with error.type on the failure', () => {
    const metric = receiver.metric(DURATION);
    expect(metric).toBeDefined();
    expect(metric!.type).toBe('histogram');
    expect(metric!.unit).toBe('s');
    expect(metric!.resource['service.name']).toBe(serviceName);
    const methods = new Set(metric!.dataPoints.map((p) => p.attributes['mcp.method.name']));
    expect([...methods]).toEqual(expect.arrayContaining(['initialize', 'tools/list', 'tools/call']));
    for (const point of metric!.dataPoints) {
      expect(point.attributes['network.transport']).toBe('pipe');
      expect(point.count).toBeGreaterThan(0);
      expect(point.sum).toBeGreaterThanOrEqual(0);
      expect(point.sum!).toBeLessThan(10 * point.count!); // seconds, not milliseconds
    }
    expect(durationCount(receiver, 'tools/call', 'tool_error')).toBe(1);
    const echoPoint = metric!.dataPoints.find((p) => p.attributes['gen_ai.tool.name'] === 'echo');
    expect(echoPoint?.attributes['error.type']).toBeUndefined();
  });

  it('continues the trace sent in _meta.traceparent, with the span active in the tool handler', () => {
    const span = serverSpan(receiver, 'tools/call active-span');
    expect(span.traceId).toBe(TRACE_ID);
    expect(span.parentSpanId).toBe(PARENT_SPAN_ID);
    expect(activeSpan).toEqual({ traceId: span.traceId, spanId: span.spanId });
  });

  it('writes nothing but JSON-RPC to stdout', () => {
    const messages = jsonRpcLines(child.stdout());
    // the responses to initialize, tools/list and three tools/call
    expect(messages.length).toBe(5);
    expect(child.clientErrors).toEqual([]);
  });
});

describe('register: process lifecycle', () => {
  let receiver: OtlpReceiver | undefined;

  afterEach(async () => {
    await stopAllChildren();
    await receiver?.close();
    receiver = undefined;
  }, TEST_TIMEOUT);

  it.each([ESM_IMPORT, CJS_PROGRAMMATIC])(
    'SIGTERM flushes spans and metrics before the process exits ($title)',
    async (app) => {
      receiver = await startOtlpReceiver();
      const r = receiver;
      const child = await startStdioChild({
        app: app.app,
        nodeArgs: app.nodeArgs,
        // Long enough that only the shutdown flush can deliver anything within the test.
        env: childEnv(r, 'register-test-sigterm', { OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_BSP_SCHEDULE_DELAY: '60000' }),
      });
      await child.client.callTool({ name: 'echo', arguments: { text: 'bye' } }, undefined, CALL);
      await child.client.callTool({ name: 'throws', arguments: {} }, undefined, CALL);
      await delay(300);
      expect(r.requests().filter((q) => q.signal !== 'logs')).toEqual([]);

      child.kill('SIGTERM');
      const exit = await withTimeout(child.exited, 8000, 'exit after SIGTERM');
      // mcp-otel re-raises the signal after flushing when the app has no handler of its own.
      expect(exit.signal).toBe('SIGTERM');

      // Everything arrived before the process was gone: no waiting after the exit.
      const names = r.spans().map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['initialize', 'tools/call echo', 'tools/call throws']));
      expect(serverSpan(r, 'tools/call throws').attributes['error.type']).toBe('tool_error');
      expect(durationCount(r, 'tools/call')).toBe(2);
      expect(r.errors()).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it('OTEL_SDK_DISABLED=true: the server works and nothing is exported', async () => {
    receiver = await startOtlpReceiver();
    const r = receiver;
    const child = await startStdioChild({
      app: ESM_IMPORT.app,
      nodeArgs: ESM_IMPORT.nodeArgs,
      env: childEnv(r, 'register-test-disabled', { OTEL_SDK_DISABLED: 'true' }),
    });
    expect((await child.client.listTools(undefined, CALL)).tools.length).toBe(4);
    expect(textOf(await child.client.callTool({ name: 'echo', arguments: { text: 'still here' } }, undefined, CALL))).toBe('still here');
    const failed = await child.client.callTool({ name: 'throws', arguments: {} }, undefined, CALL);
    expect((failed as CallToolResult).isError).toBe(true);
    // No span is active in the handler: nothing was instrumented.
    const active = await child.client.callTool(
      { name: 'active-span', arguments: {}, _meta: { traceparent: `00-${TRACE_ID}-${PARENT_SPAN_ID}-01` } },
      undefined,
      CALL,
    );
    expect(JSON.parse(textOf(active))).toBeNull();
    // Several export intervals (500 ms metrics, 100 ms spans), then a shutdown flush: still nothing.
    await delay(1500);
    child.kill('SIGTERM');
    await withTimeout(child.exited, 8000, 'exit after SIGTERM');
    await delay(200);
    expect(r.requests()).toEqual([]);
    expect(r.errors()).toEqual([]);
    expect(jsonRpcLines(child.stdout()).length).toBe(5);
  }, TEST_TIMEOUT);

  it.each([ESM_IMPORT, CJS_REQUIRE])(
    'console exporters for all three signals print to stderr, stdout stays JSON-RPC ($title)',
    async (app) => {
      receiver = await startOtlpReceiver();
      const child = await startStdioChild({
        app: app.app,
        nodeArgs: app.nodeArgs,
        env: childEnv(receiver, 'register-test-console', {
          OTEL_TRACES_EXPORTER: 'console',
          OTEL_METRICS_EXPORTER: 'console',
          OTEL_LOGS_EXPORTER: 'console',
          OTEL_METRIC_EXPORT_INTERVAL: '200',
        }),
      });
      for (let i = 0; i < 3; i++) {
        expect(textOf(await child.client.callTool({ name: 'echo', arguments: { text: `c${i}` } }, undefined, CALL))).toBe(`c${i}`);
      }
      const printed = () => {
        const err = child.stderr();
        return err.includes("name: 'tools/call echo'") && err.includes("eventName: 'mcp.session.start'");
      };
      await waitUntil(printed, WAIT, 'console exporter output of spans and session events on stderr');
      // The console metric reader exports every 60 s whatever OTEL_METRIC_EXPORT_INTERVAL says: its output comes
      // with the shutdown flush, when stdin closes.
      child.transport.child?.stdin?.end();
      expect((await withTimeout(child.exited, 8000, 'exit after stdin closed')).code).toBe(0);
      expect(child.stderr()).toContain("name: 'mcp.server.operation.duration'");
      expect(child.stderr()).toContain("eventName: 'mcp.session.end'");
      expect(jsonRpcLines(child.stdout()).length).toBe(4); // initialize and three tools/call responses
      expect(child.clientErrors).toEqual([]);
      expect(receiver.requests()).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it('stdin closed with an unresponsive collector: the process still exits within the shutdown bound', async () => {
    receiver = await startOtlpReceiver();
    receiver.setFault({ kind: 'slow', delayMs: 60_000 });
    const child = await startStdioChild({
      app: ESM_IMPORT.app,
      nodeArgs: ESM_IMPORT.nodeArgs,
      env: childEnv(receiver, 'register-test-before-exit', { OTEL_METRIC_EXPORT_INTERVAL: '60000', OTEL_BSP_SCHEDULE_DELAY: '60000' }),
    });
    await child.client.callTool({ name: 'echo', arguments: { text: 'last words' } }, undefined, CALL);
    const closedAt = Date.now();
    child.transport.child?.stdin?.end(); // the client went away: the app has nothing left to do (beforeExit)
    const exit = await withTimeout(child.exited, 12_000, 'exit after stdin closed');
    const took = Date.now() - closedAt;
    expect(exit.code).toBe(0);
    // README's bound is 5 s (shutdownTimeoutMillis); the exporters' own 10 s timeout must not stretch it.
    expect(took).toBeGreaterThanOrEqual(4500);
    expect(took).toBeLessThan(7500);
  }, TEST_TIMEOUT);

  it.each([ESM_IMPORT, CJS_REQUIRE])(
    'OTEL_LOG_LEVEL=debug: diagnostics go to stderr, stdout stays JSON-RPC ($title)',
    async (app) => {
      receiver = await startOtlpReceiver();
      const r = receiver;
      const child = await startStdioChild({
        app: app.app,
        nodeArgs: app.nodeArgs,
        env: childEnv(r, 'register-test-debug', { OTEL_LOG_LEVEL: 'debug' }),
      });
      expect(textOf(await child.client.callTool({ name: 'echo', arguments: { text: 'loud' } }, undefined, CALL))).toBe('loud');
      await r.waitFor(() => r.spans().some((s) => s.name === 'tools/call echo'), WAIT, 'the tools/call span');
      expect(jsonRpcLines(child.stdout()).length).toBe(2);
      expect(child.clientErrors).toEqual([]);
      // The SDK's debug output (including what NodeSDK logs while it is constructed) went to stderr.
      expect(child.stderr()).toMatch(/\[otel debug\]/);
      expect(child.stderr()).toContain('OTEL_METRICS_EXPORTER is empty');
    },
    TEST_TIMEOUT,
  );
});
