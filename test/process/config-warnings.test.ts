/*
 * Bad configuration never throws and never goes unnoticed: each bad value gets one warning on stderr (a Node.js
 * process warning of type McpOtelWarning) naming where it came from, the value, and what is used instead — from
 * code (in process) and from the environment (a stdio server under `node --import mcp-otel/register`), at the
 * default log level.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { McpInstrumentation } from '../../dist/cjs/index.js';
import type { McpInstrumentationConfig } from '../../dist/cjs/index.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { jsonRpcLines, startStdioChild, stopAllChildren } from '../helpers/stdio-child';

async function warningsOf(fn: () => void): Promise<string[]> {
  const seen: string[] = [];
  const listener = (w: Error) => {
    if (w.name === 'McpOtelWarning') seen.push(w.message);
  };
  process.on('warning', listener);
  try {
    fn();
    await new Promise((r) => setTimeout(r, 20)); // process warnings are emitted on the next tick
  } finally {
    process.off('warning', listener);
  }
  return seen;
}

describe('configuration warnings from code', () => {
  it('warn once per bad option, naming it, its value and what is used instead; nothing throws', async () => {
    const bad = {
      captureClientAddress: 'bogus-1',
      maxTrackedClients: -1,
      ignoreMethods: 'ping',
      statusCodeAttribute: 'x',
      maxCapturedValueLength: -3,
      sessionIdleTimeout: -5,
      captureToolArguments: 'yes',
      requestHook: 'not-a-function',
      activityStore: 42,
    } as unknown as McpInstrumentationConfig;
    let instrumentation: McpInstrumentation | undefined;
    const warnings = await warningsOf(() => {
      instrumentation = new McpInstrumentation({ ...bad, enabled: false });
    });
    expect(warnings.sort()).toEqual(
      [
        'mcp-otel: activityStore=42 is not a ClientActivityStore (an object with record()) or false; using the default in-memory store',
        'mcp-otel: captureClientAddress="bogus-1" is not true, false, "truncate" or "hash"; not recording client addresses',
        'mcp-otel: captureToolArguments="yes" is not a boolean; using false',
        'mcp-otel: ignoreMethods="ping" is not an array of strings; using ["ping"]',
        'mcp-otel: maxCapturedValueLength=-3 is not a positive number; using 4096',
        'mcp-otel: maxTrackedClients=-1 is not a non-negative number; using 200',
        'mcp-otel: requestHook="not-a-function" is not a function; ignoring it',
        'mcp-otel: sessionIdleTimeout=-5 is not a non-negative number; using 1800000',
        'mcp-otel: statusCodeAttribute="x" is not one of "rpc.response.status_code", "rpc.status_code", "both"; using "rpc.response.status_code"',
      ].sort(),
    );
    // The same bad configuration again (setConfig, a second instance) does not repeat them.
    const again = await warningsOf(() => {
      instrumentation!.setConfig({ ...bad, enabled: false });
      new McpInstrumentation({ ...bad, enabled: false });
    });
    expect(again).toEqual([]);
  });

  it('good values say nothing', async () => {
    const warnings = await warningsOf(() => {
      new McpInstrumentation({
        enabled: false,
        captureClientAddress: 'truncate',
        maxTrackedClients: 0,
        ignoreMethods: ['ping'],
        statusCodeAttribute: 'both',
        maxCapturedValueLength: 10,
        sessionIdleTimeout: 0,
        captureToolArguments: true,
        requestHook: () => {},
        activityStore: false,
      });
    });
    expect(warnings).toEqual([]);
  });
});

describe('configuration warnings from the environment, under register', () => {
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await stopAllChildren();
    await receiver?.close();
  });

  it('name the variable and the value, once each, on stderr; stdout stays JSON-RPC and the server works', async () => {
    receiver = await startOtlpReceiver();
    const child = await startStdioChild({
      app: 'esm-app.mjs',
      nodeArgs: ['--import', 'mcp-otel/register'],
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS: 'yes',
        OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS: 'bogus',
        OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT: 'abc',
      },
    });
    const result = await child.client.callTool({ name: 'echo', arguments: { text: 'still works' } });
    expect(JSON.stringify(result)).toContain('still works');
    const stderr = child.stderr();
    const expected = [
      'OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS="yes" is not a boolean (true, false, 1, 0); using false',
      'OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS="bogus" is not true, false, "truncate" or "hash"; not recording client addresses',
      'OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT="abc" is not a non-negative number; using 1800000',
    ];
    for (const message of expected) expect(stderr.split(message).length - 1, `${message} once in:\n${stderr}`).toBe(1);
    expect(stderr).toContain('McpOtelWarning');
    expect(jsonRpcLines(child.stdout()).length).toBe(2);
    expect(child.clientErrors).toEqual([]);
  }, 20_000);

  it("register()'s own options are checked too", async () => {
    receiver = await startOtlpReceiver();
    const child = await startStdioChild({
      app: 'cjs-programmatic.cjs',
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        FIXTURE_REGISTER_OPTIONS: JSON.stringify({ shutdownTimeoutMillis: 'soon', instrumentation: { maxMetricAttributeValues: 'many' } }),
      },
    });
    await child.client.listTools();
    const stderr = child.stderr();
    expect(stderr).toContain('mcp-otel: shutdownTimeoutMillis="soon" is not a non-negative number; using 5000');
    expect(stderr).toContain('mcp-otel: maxMetricAttributeValues="many" is not a non-negative number; using 100');
    expect(jsonRpcLines(child.stdout()).length).toBe(2);
  }, 20_000);
});
