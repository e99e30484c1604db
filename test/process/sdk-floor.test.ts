/*
 * The oldest MCP SDKs package.json claims: the packed tarball installed with npm into an empty directory next to
 * `@modelcontextprotocol/sdk` 1.10.0 (the first 1.x with Streamable HTTP) and, separately, next to
 * `@modelcontextprotocol/server` 2.0.0; servers written with the API those versions have, started as README
 * says, export their spans (and sessions) to a receiver on 127.0.0.1. (The newest 1.x and 2.x are what the rest of
 * the suite runs: the lock's 1.32.2 and 2.4.0.)
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectHttpClient, killAllHttpChildren, startHttpChild, stopHttpChild } from '../helpers/http-child';
import { exportEnv, OTLP_SPAN_KIND, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver';
import { currentRuntime, npmInstall, packTarball } from '../helpers/runtimes';
import { FIXTURES, startStdioChild, stopAllChildren, waitUntil, withTimeout } from '../helpers/stdio-child';

const V1_FLOOR = '1.10.0';
const V2_FLOOR = '2.0.0';
const TEST_TIMEOUT = 30_000;
const WAIT = 10_000;

let packDir: string;
let tarball: string;
let receiver: OtlpReceiver;
const dirs: string[] = [];

beforeAll(async () => {
  packDir = mkdtempSync(path.join(tmpdir(), 'mcp-otel-floor-'));
  tarball = packTarball(packDir);
  receiver = await startOtlpReceiver();
}, 60_000);

afterAll(async () => {
  await receiver.close();
  for (const dir of [packDir, ...dirs]) rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await stopAllChildren();
  await killAllHttpChildren();
});

function consumer(name: string, packages: string[], fixtures: string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), `mcp-otel-${name}-`));
  dirs.push(dir);
  npmInstall(currentRuntime(), dir, [tarball, ...packages]);
  for (const file of fixtures) copyFileSync(path.join(FIXTURES, file), path.join(dir, path.basename(file)));
  return dir;
}

const installed = (dir: string, pkg: string) => JSON.parse(readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const ofService = <T extends { resource: Record<string, unknown> }>(items: T[], service: string) => items.filter((x) => x.resource['service.name'] === service);

describe(`@modelcontextprotocol/sdk ${V1_FLOOR}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = consumer('sdk-floor', [`@modelcontextprotocol/sdk@${V1_FLOOR}`, 'zod@3'], ['floor/tools.cjs', 'floor/stdio.cjs', 'floor/stdio.mjs', 'floor/http.mjs']);
    expect(installed(dir, '@modelcontextprotocol/sdk')).toBe(V1_FLOOR);
  }, 300_000);

  it.each([
    { title: 'ESM stdio server, --import', app: 'stdio.mjs', nodeArgs: ['--import', 'mcp-otel/register'] },
    { title: 'CommonJS stdio server, --require', app: 'stdio.cjs', nodeArgs: ['--require', 'mcp-otel/register'] },
  ])('$title: spans and session events arrive', async ({ app, nodeArgs }) => {
    const service = `floor-${app}`;
    const child = await startStdioChild({ app: path.join(dir, app), cwd: dir, nodeArgs, env: exportEnv(receiver, { OTEL_SERVICE_NAME: service }) });
    await child.client.callTool({ name: 'echo', arguments: { text: 'old' } });
    child.transport.child?.stdin?.end();
    expect((await withTimeout(child.exited, 8000, 'exit after stdin closed')).code).toBe(0);
    await receiver.waitFor(() => ofService(receiver.logs(), service).some((l) => l.eventName === 'mcp.session.end'), WAIT, 'the session end event');
    const spans = ofService(receiver.spans(), service);
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['initialize', 'tools/call echo']));
    expect(spans.find((s) => s.name === 'tools/call echo')!.attributes['mcp.session.id']).toMatch(/\S/);
    const end = ofService(receiver.logs(), service).find((l) => l.eventName === 'mcp.session.end')!;
    expect(end.attributes['mcp.session.disconnect_reason']).toBe('client_disconnect');
  }, TEST_TIMEOUT);

  it('ESM Streamable HTTP server (node:http), --import: session id, HTTP spans, DELETE ends the session', async () => {
    const service = 'floor-http';
    const child = await startHttpChild({ script: 'http.mjs', cwd: dir, nodeArgs: ['--import', 'mcp-otel/register'], env: exportEnv(receiver, { OTEL_SERVICE_NAME: service }) });
    const { client, transport } = await connectHttpClient(child.url);
    await client.callTool({ name: 'echo', arguments: { text: 'old over http' } });
    const sessionId = transport.sessionId;
    await transport.terminateSession();
    await client.close();
    await stopHttpChild(child);
    await receiver.waitFor(() => ofService(receiver.logs(), service).some((l) => l.eventName === 'mcp.session.end'), WAIT, 'the session end event');
    const spans = ofService(receiver.spans(), service);
    const call = spans.find((s) => s.name === 'tools/call echo')!;
    expect(call.attributes['mcp.session.id']).toBe(sessionId);
    expect(call.attributes['network.transport']).toBe('tcp');
    const http = new Set(spans.filter((s) => s.kind === OTLP_SPAN_KIND.SERVER && s.scope.name === '@opentelemetry/instrumentation-http').map((s) => s.spanId));
    expect(call.links.some((l) => http.has(l.spanId))).toBe(true);
    const end = ofService(receiver.logs(), service).find((l) => l.eventName === 'mcp.session.end')!;
    expect(end.attributes['mcp.session.disconnect_reason']).toBe('client_disconnect');
  }, TEST_TIMEOUT);
});

describe(`@modelcontextprotocol/server ${V2_FLOOR}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = consumer('server-floor', [`@modelcontextprotocol/server@${V2_FLOOR}`, `@modelcontextprotocol/client@${V2_FLOOR}`, 'zod@^4.2'], ['v2-app.mjs']);
    expect(installed(dir, '@modelcontextprotocol/server')).toBe(V2_FLOOR);
  }, 300_000);

  it('an SDK 2.0.0 server under --import: the tool call span arrives with the client attributes', async () => {
    const service = 'floor-v2';
    // Asynchronously: the receiver runs in this process and must answer the child's exports meanwhile.
    const child = spawn(process.execPath, ['--import', 'mcp-otel/register', 'v2-app.mjs'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '', ...exportEnv(receiver, { OTEL_SERVICE_NAME: service }) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await withTimeout(new Promise<number | null>((resolve) => child.once('exit', resolve)), 20_000, 'the v2 app to exit');
    expect(code, stderr).toBe(0);
    const isCall = (kind: number) => (s: ReceivedSpan) => s.name === 'tools/call add' && s.kind === kind;
    await waitUntil(() => ofService(receiver.spans(), service).some(isCall(OTLP_SPAN_KIND.SERVER)), WAIT, 'the tools/call span');
    const call = ofService(receiver.spans(), service).find(isCall(OTLP_SPAN_KIND.SERVER))!;
    expect(call.attributes['gen_ai.tool.name']).toBe('add');
    expect(call.attributes['mcp.client.name']).toBe('v2-fixture-client');
    // The 2.0.0 client in the same process is traced too: its CLIENT span is the server span's parent.
    const sent = ofService(receiver.spans(), service).find(isCall(OTLP_SPAN_KIND.CLIENT));
    expect(sent, 'the CLIENT span of the 2.0.0 client').toBeDefined();
    expect(call.parentSpanId).toBe(sent!.spanId);
  }, TEST_TIMEOUT);
});
