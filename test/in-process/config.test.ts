import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { Attributes, DiagLogger } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { McpInstrumentationConfig, McpResponseInfo } from '../../dist/cjs/index.js';
import type { Connected } from '../helpers/server';
import { connectInMemory } from '../helpers/server';
import { collectMetrics, finishedSpans, instrument, resetTelemetry, spanExporter, spanNamed } from '../helpers/telemetry';
import { settle } from '../helpers/wait';

const CANARY = 'canary-7f3a9c1e';

async function connectWith(config: McpInstrumentationConfig): Promise<Connected> {
  await instrument(config);
  const conn = await connectInMemory();
  await finishedSpans(2);
  resetTelemetry();
  return conn;
}

function everyExportedString(): string {
  return JSON.stringify(spanExporter.getFinishedSpans().map((s) => ({ n: s.name, a: s.attributes, st: s.status, ev: s.events })));
}

describe('configuration', () => {
  let conn: Connected | undefined;
  const errors: unknown[][] = [];
  const logger: DiagLogger = {
    error: (...args) => errors.push(args),
    warn: () => {},
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  beforeEach(() => {
    errors.length = 0;
    diag.setLogger(logger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  });
  afterEach(async () => {
    await conn?.close();
    conn = undefined;
    delete process.env.OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS;
    diag.disable();
  });

  it('ignoreMethods skips spans and metric points', async () => {
    conn = await connectWith({ ignoreMethods: ['ping'] });
    await conn.client.ping();
    await conn.client.listTools();
    const spans = await finishedSpans(1);
    expect(spans.map((s) => s.name)).toEqual(['tools/list']);
    const points = (await collectMetrics()).flatMap((m): Array<{ attributes: Attributes }> => m.dataPoints);
    expect(points.some((p) => p.attributes['mcp.method.name'] === 'ping')).toBe(false);
  });

  it('ignoreRequestHook skips what it returns true for', async () => {
    conn = await connectWith({ ignoreRequestHook: (info) => info.method === 'tools/call' && info.params?.name === 'echo' });
    await conn.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await conn.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    expect((await finishedSpans(1)).map((s) => s.name)).toEqual(['tools/call add']);
  });

  it('requestHook and responseHook see the message and can add attributes', async () => {
    const responses: McpResponseInfo[] = [];
    conn = await connectWith({
      requestHook: (span, info) => span.setAttribute('app.request.method', `${info.method}#${String(info.id)}`),
      responseHook: (span, info) => {
        responses.push(info);
        span.setAttribute('app.outcome', info.outcome);
      },
    });
    await conn.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    const span = spanNamed(await finishedSpans(1), 'tools/call add');
    expect(span.attributes['app.request.method']).toMatch(/^tools\/call#\d+$/);
    expect(span.attributes['app.outcome']).toBe('result');
    expect(responses.find((r) => r.method === 'tools/call')).toMatchObject({ method: 'tools/call', outcome: 'result', result: { content: [{ type: 'text', text: '5' }] } });
  });

  it('hooks that throw are logged and change nothing for the request', async () => {
    const boom = () => {
      throw new Error('hook failure');
    };
    conn = await connectWith({ requestHook: boom, responseHook: boom, ignoreRequestHook: boom, redact: boom, captureToolArguments: true });
    const result = await conn.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(result.content).toEqual([{ type: 'text', text: '5' }]);
    const spans = await finishedSpans(1);
    expect(spans.map((s) => s.name)).toEqual(['tools/call add']);
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });

  it('user functions that return garbage are tolerated and change nothing', async () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    conn = await connectWith({
      requestHook: () => 42 as never,
      responseHook: () => Promise.reject(new Error('async hook')) as never,
      ignoreRequestHook: () => 'yes' as never,
      redact: () => circular,
      captureToolArguments: true,
      trackingId: () => Promise.reject(new Error('async tracking id')) as never,
    });
    const result = await conn.client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    expect(result.content).toEqual([{ type: 'text', text: '5' }]);
    const span = spanNamed(await finishedSpans(1), 'tools/call add');
    expect(span.attributes['gen_ai.tool.call.arguments']).toBeUndefined(); // unserialisable: dropped
    expect(span.attributes['mcp.client.tracking_id']).toBeUndefined(); // a promise is not a string: no ID
    await settle(); // the rejected async hook must not surface as unhandled
  });

  it('records no arguments, results, prompt arguments or secrets by default', async () => {
    conn = await connectWith({});
    await conn.client.callTool({ name: 'echo', arguments: { text: CANARY } });
    await conn.client.getPrompt({ name: 'greet', arguments: { name: CANARY } });
    await finishedSpans(2);
    expect(everyExportedString()).not.toContain(CANARY);
    const metricsJson = JSON.stringify((await collectMetrics()).map((m) => m.dataPoints.map((p) => p.attributes)));
    expect(metricsJson).not.toContain(CANARY);
    const span = spanNamed(spanExporter.getFinishedSpans(), 'tools/call echo');
    expect(span.attributes['gen_ai.tool.call.arguments']).toBeUndefined();
    expect(span.attributes['gen_ai.tool.call.result']).toBeUndefined();
  });

  it('captures arguments and results when opted in, masking secret keys and applying redact', async () => {
    conn = await connectWith({
      captureToolArguments: true,
      captureToolResults: true,
      capturePromptArguments: true,
      redact: (value, info) => (info.attribute === 'gen_ai.tool.call.result' ? { redacted: true } : value),
    });
    await conn.client.callTool({ name: 'echo', arguments: { text: 'hello', password: CANARY, nested: { api_key: CANARY } } as never });
    await conn.client.getPrompt({ name: 'greet', arguments: { name: 'alice' } });
    const spans = await finishedSpans(2);
    const call = spanNamed(spans, 'tools/call echo');
    expect(JSON.parse(String(call.attributes['gen_ai.tool.call.arguments']))).toEqual({
      text: 'hello',
      password: '[REDACTED]',
      nested: { api_key: '[REDACTED]' },
    });
    expect(call.attributes['gen_ai.tool.call.result']).toBe('{"redacted":true}');
    expect(spanNamed(spans, 'prompts/get greet').attributes['gen_ai.prompt.variable.name']).toBe('alice');
    expect(everyExportedString()).not.toContain(CANARY);
  });

  it('truncates captured values to maxCapturedValueLength', async () => {
    conn = await connectWith({ captureToolArguments: true, maxCapturedValueLength: 20 });
    await conn.client.callTool({ name: 'echo', arguments: { text: 'x'.repeat(1000) } });
    const value = String(spanNamed(await finishedSpans(1), 'tools/call echo').attributes['gen_ai.tool.call.arguments']);
    expect(value).toBe(`${'{"text":"xxxxxxxxxxx'}…`);
  });

  it('environment variables override code', async () => {
    process.env.OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS = 'true';
    conn = await connectWith({ captureToolArguments: false });
    await conn.client.callTool({ name: 'echo', arguments: { text: 'from-env' } });
    expect(spanNamed(await finishedSpans(1), 'tools/call echo').attributes['gen_ai.tool.call.arguments']).toBe('{"text":"from-env"}');
    await conn.close();
    process.env.OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS = 'false';
    conn = await connectWith({ captureToolArguments: true });
    await conn.client.callTool({ name: 'echo', arguments: { text: 'off' } });
    expect(spanNamed(await finishedSpans(1), 'tools/call echo').attributes['gen_ai.tool.call.arguments']).toBeUndefined();
  });

  it('statusCodeAttribute "both" emits rpc.response.status_code and rpc.status_code', async () => {
    conn = await connectWith({ statusCodeAttribute: 'both' });
    await expect(conn.client.getPrompt({ name: 'missing' })).rejects.toThrow();
    const span = spanNamed(await finishedSpans(1), 'prompts/get missing');
    expect(span.attributes['rpc.response.status_code']).toBe('-32602');
    expect(span.attributes['rpc.status_code']).toBe('-32602');
  });

  it('resourceUriInSpanName puts the URI in the span name when opted in', async () => {
    conn = await connectWith({ resourceUriInSpanName: true });
    await conn.client.readResource({ uri: 'users://7' });
    expect((await finishedSpans(1)).map((s) => s.name)).toEqual(['resources/read users://7']);
  });
});
