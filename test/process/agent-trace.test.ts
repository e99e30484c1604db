/*
 * One trace across two processes, both started as README says (`node --import mcp-otel/register`) and exporting
 * with the default OTLP exporter to the test's receiver: an agent process with a real MCP Client calls a server
 * process over stdio (the agent starts it) and over Streamable HTTP. The agent's CLIENT span is the parent of the
 * server's SERVER span, and the agent's own span the parent of the CLIENT span.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { killAllHttpChildren, startHttpChild, stopHttpChild } from '../helpers/http-child';
import { exportEnv, OTLP_SPAN_KIND, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver';
import { FIXTURES, REPO_ROOT } from '../helpers/stdio-child';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver.close());
afterEach(() => killAllHttpChildren());

/** Runs the agent fixture to its end; resolves with its exit code and stderr. */
function runAgent(env: Record<string, string>, script = 'agent.mjs', flag = '--import'): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [flag, 'mcp-otel/register', path.join(FIXTURES, script)], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

const ofService = (service: string) => receiver.spans().filter((s) => s.resource['service.name'] === service);
const find = (spans: ReceivedSpan[], name: string, kind: number) => spans.find((s) => s.name === name && s.kind === kind);

function expectOneTrace(agentService: string, serverService: string): { sent: ReceivedSpan; received: ReceivedSpan } {
  const agentSpan = find(ofService(agentService), 'invoke_agent fixture', OTLP_SPAN_KIND.INTERNAL);
  const sent = find(ofService(agentService), 'tools/call echo', OTLP_SPAN_KIND.CLIENT);
  const received = find(ofService(serverService), 'tools/call echo', OTLP_SPAN_KIND.SERVER);
  expect(agentSpan, 'the agent span').toBeDefined();
  expect(sent, 'the CLIENT span').toBeDefined();
  expect(received, 'the SERVER span').toBeDefined();
  expect(sent!.parentSpanId).toBe(agentSpan!.spanId);
  expect(received!.traceId).toBe(agentSpan!.traceId);
  expect(received!.parentSpanId).toBe(sent!.spanId);
  expect(sent!.attributes).toMatchObject({ 'mcp.method.name': 'tools/call', 'gen_ai.tool.name': 'echo', 'gen_ai.operation.name': 'execute_tool' });
  expect(received!.attributes['mcp.client.name']).toBe('fixture-agent');
  return { sent: sent!, received: received! };
}

describe('one trace from an agent process into a server process', () => {
  it('over stdio: the agent starts the server; CLIENT → SERVER across the pipe', async () => {
    const agent = await runAgent(exportEnv(receiver, { OTEL_SERVICE_NAME: 'agent-stdio', MCP_SERVER_SCRIPT: path.join(FIXTURES, 'esm-app.mjs'), MCP_SERVER_SERVICE: 'server-stdio' }));
    expect(agent.code, agent.stderr).toBe(0);
    expect(agent.stderr).toContain('agent got: from the agent');
    await receiver.waitFor(() => find(ofService('server-stdio'), 'tools/call echo', OTLP_SPAN_KIND.SERVER) && find(ofService('agent-stdio'), 'tools/call echo', OTLP_SPAN_KIND.CLIENT), 10_000, 'both spans');
    const { sent } = expectOneTrace('agent-stdio', 'server-stdio');
    expect(sent.attributes['network.transport']).toBe('pipe');
    const duration = receiver.latestPoints('mcp.client.operation.duration', 'agent-stdio').find((p) => p.attributes['gen_ai.tool.name'] === 'echo');
    expect(duration?.count).toBe(1);
    const session = receiver.latestPoints('mcp.client.session.duration', 'agent-stdio');
    expect(session.map((p) => p.attributes['error.type'])).toEqual([undefined]);
  }, 40_000);

  it('a CommonJS agent under --require: the same trace over stdio', async () => {
    const agent = await runAgent(exportEnv(receiver, { OTEL_SERVICE_NAME: 'agent-cjs', MCP_SERVER_SCRIPT: path.join(FIXTURES, 'esm-app.mjs'), MCP_SERVER_SERVICE: 'server-cjs' }), 'agent.cjs', '--require');
    expect(agent.code, agent.stderr).toBe(0);
    await receiver.waitFor(() => find(ofService('server-cjs'), 'tools/call echo', OTLP_SPAN_KIND.SERVER) && find(ofService('agent-cjs'), 'tools/call echo', OTLP_SPAN_KIND.CLIENT), 10_000, 'both spans');
    expectOneTrace('agent-cjs', 'server-cjs');
  }, 40_000);

  it('over Streamable HTTP: CLIENT → SERVER with server.address/port and the session id on both', async () => {
    const server = await startHttpChild({ script: path.join(FIXTURES, 'http-express.mjs'), nodeArgs: ['--import', 'mcp-otel/register'], env: exportEnv(receiver, { OTEL_SERVICE_NAME: 'server-http' }) });
    const agent = await runAgent(exportEnv(receiver, { OTEL_SERVICE_NAME: 'agent-http', MCP_SERVER_URL: server.url.href }));
    expect(agent.code, agent.stderr).toBe(0);
    await stopHttpChild(server);
    await receiver.waitFor(() => find(ofService('server-http'), 'tools/call echo', OTLP_SPAN_KIND.SERVER) && find(ofService('agent-http'), 'tools/call echo', OTLP_SPAN_KIND.CLIENT), 10_000, 'both spans');
    const { sent, received } = expectOneTrace('agent-http', 'server-http');
    expect(sent.attributes).toMatchObject({ 'server.address': '127.0.0.1', 'server.port': server.port, 'network.transport': 'tcp', 'network.protocol.name': 'http' });
    expect(typeof received.attributes['mcp.session.id']).toBe('string');
    expect(sent.attributes['mcp.session.id']).toBe(received.attributes['mcp.session.id']);
  }, 40_000);
});
