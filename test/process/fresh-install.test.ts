/*
 * What a user gets from `npm install mcp-otel`, on the runtimes users run: the packed tarball installed with
 * npm into an empty directory (with the MCP SDK and zod, nothing else), on Node 20 (OpenTelemetry JS 2.x) and
 * Node 24 (npm resolves OpenTelemetry JS 3.x). Servers started there as README says export with the default
 * OTLP exporter to a receiver on 127.0.0.1; everything mcp-otel promises must arrive: spans, metric points,
 * session log events, service.instance.id, HTTP spans from the first request, nothing on a stdio server's stdout.
 * The Grafana dashboards and Prometheus rules in the package are opened from the installed copy (as
 * mcp-otel/grafana/...) and checked as a user's Grafana, Prometheus or Prometheus Operator would get them.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { connectHttpClient, killAllHttpChildren, startHttpChild, stopHttpChild } from '../helpers/http-child';
import { exportEnv, OTLP_SPAN_KIND, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { datasourceReferenceProblems, lintDashboard } from '../helpers/dashboard-lint';
import type { Dashboard } from '../helpers/dashboard-queries';
import { foundationSdkTypeErrors } from '../helpers/dashboard-schema';
import { manifestProblems } from '../helpers/prometheusrule';
import { currentRuntime, npmInstall, packTarball, registryNode, versionOf } from '../helpers/runtimes';
import type { Runtime } from '../helpers/runtimes';
import { FIXTURES, jsonRpcLines, REPO_ROOT, startStdioChild, stopAllChildren, waitUntil, withTimeout } from '../helpers/stdio-child';

const INSTALL_TIMEOUT = 240_000;
const TEST_TIMEOUT = 30_000;
const WAIT = 10_000;
const FIXTURE_FILES = ['esm-app.mjs', 'cjs-app.cjs', 'tools.cjs', 'http-express.mjs', 'http-express.cjs', 'http-routes.cjs'];

let tarball: string;
let packDir: string;

beforeAll(() => {
  packDir = mkdtempSync(path.join(tmpdir(), 'mcp-otel-tarball-'));
  tarball = packTarball(packDir);
}, 60_000);

afterAll(() => rmSync(packDir, { recursive: true, force: true }));

afterEach(async () => {
  await stopAllChildren();
  await killAllHttpChildren();
});

const env = (receiver: OtlpReceiver, extra: Record<string, string> = {}) => exportEnv(receiver, { OTEL_SERVICE_NAME: 'fresh-install-test', ...extra });

function installedVersion(dir: string, pkg: string): string {
  return JSON.parse(readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')).version;
}

/** The NodeSDK snippet of README's "In an existing OpenTelemetry setup", exactly as users would paste it. */
function readmeNodeSdkSnippet(): string {
  const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### In an existing OpenTelemetry setup'));
  const block = /<!-- This block is run as pasted[^>]*-->\n```js\n([\s\S]*?)\n```/.exec(section);
  if (!block) throw new Error('README has no tested NodeSDK block under "In an existing OpenTelemetry setup"');
  return block[1] + '\n';
}

const RUNTIMES: Array<{ major: number; otelLine: RegExp }> = [
  { major: 20, otelLine: /^0\.2\d\d\./ },
  { major: 24, otelLine: /^0\.3\d\d\./ },
];

describe.each(RUNTIMES)('fresh install on Node $major', ({ major, otelLine }) => {
  let runtime: Runtime;
  let dir: string;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    runtime = major === Number(process.versions.node.split('.')[0]) ? { name: `node ${major}`, node: process.execPath } : registryNode(major);
    expect(versionOf(runtime.node)).toMatch(new RegExp(`^v${major}\\.`));
    dir = mkdtempSync(path.join(tmpdir(), `mcp-otel-install-${major}-`));
    // README's install lines: mcp-otel, the API, the SDK's NodeSDK and HTTP instrumentation (for the NodeSDK form).
    npmInstall(runtime, dir, [tarball, '@opentelemetry/api', '@opentelemetry/sdk-node', '@opentelemetry/instrumentation-http', '@modelcontextprotocol/sdk@^1', 'zod@^3'], INSTALL_TIMEOUT);
    for (const file of FIXTURE_FILES) copyFileSync(path.join(FIXTURES, file), path.join(dir, file));
    writeFileSync(path.join(dir, 'telemetry.mjs'), readmeNodeSdkSnippet());
    receiver = await startOtlpReceiver();
  }, INSTALL_TIMEOUT + 60_000);

  afterAll(async () => {
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('npm resolves the OpenTelemetry JS line of that runtime', () => {
    const sdkNode = installedVersion(dir, '@opentelemetry/sdk-node');
    console.log(`Node ${versionOf(runtime.node)}: @opentelemetry/sdk-node ${sdkNode}, @opentelemetry/api ${installedVersion(dir, '@opentelemetry/api')}, @modelcontextprotocol/sdk ${installedVersion(dir, '@modelcontextprotocol/sdk')}`);
    expect(sdkNode).toMatch(otelLine);
  });

  it.each([
    { title: 'ESM stdio server, --import', app: 'esm-app.mjs', nodeArgs: ['--import', 'mcp-otel/register'] },
    { title: 'CommonJS stdio server, --require', app: 'cjs-app.cjs', nodeArgs: ['--require', 'mcp-otel/register'] },
  ])('$title: spans, metric points, session events and service.instance.id arrive; stdout is JSON-RPC only', async ({ app, nodeArgs }) => {
    const service = `fresh-${major}-${app}`;
    const child = await startStdioChild({ app: path.join(dir, app), node: runtime.node, cwd: dir, nodeArgs, env: env(receiver, { OTEL_SERVICE_NAME: service }) });
    await child.client.callTool({ name: 'echo', arguments: { text: 'hello' } });
    child.transport.child?.stdin?.end(); // the client goes away: the session ends, the process flushes and exits
    expect((await withTimeout(child.exited, 8000, 'exit after stdin closed')).code).toBe(0);
    const mine = <T extends { resource: Record<string, unknown> }>(items: T[]) => items.filter((x) => x.resource['service.name'] === service);
    await receiver.waitFor(() => mine(receiver.logs()).some((l) => l.eventName === 'mcp.session.end'), WAIT, 'the session end event');
    const spans = mine(receiver.spans());
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['initialize', 'tools/call echo']));
    expect(spans.find((s) => s.name === 'tools/call echo')!.attributes['gen_ai.tool.name']).toBe('echo');
    const duration = mine(receiver.metrics()).filter((m) => m.name === 'mcp.server.operation.duration');
    expect(duration.length).toBeGreaterThan(0);
    const end = mine(receiver.logs()).find((l) => l.eventName === 'mcp.session.end')!;
    expect(end.attributes['mcp.session.disconnect_reason']).toBe('client_disconnect');
    const ids = new Set([...spans, ...mine(receiver.metrics()), ...mine(receiver.logs())].map((x) => x.resource['service.instance.id']));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toMatch(/\S/);
    expect(jsonRpcLines(child.stdout()).length).toBe(2);
    expect(receiver.errors()).toEqual([]);
  }, TEST_TIMEOUT);

  it.each([
    { title: 'ESM express server, --import mcp-otel/register', script: 'http-express.mjs', nodeArgs: ['--import', 'mcp-otel/register'] },
    { title: 'CommonJS express server, --require mcp-otel/register', script: 'http-express.cjs', nodeArgs: ['--require', 'mcp-otel/register'] },
    { title: 'ESM express server, --require mcp-otel/register', script: 'http-express.mjs', nodeArgs: ['--require', 'mcp-otel/register'] },
    { title: "ESM express server, README's NodeSDK snippet as pasted", script: 'http-express.mjs', nodeArgs: ['--import', './telemetry.mjs'] },
  ])('$title: every MCP span links to an HTTP server span, from the first request', async ({ script, nodeArgs }) => {
    const service = `fresh-${major}-${script}-${nodeArgs.join('-')}`;
    const child = await startHttpChild({ script, node: runtime.node, cwd: dir, nodeArgs, env: env(receiver, { OTEL_SERVICE_NAME: service }) });
    const { client, transport } = await connectHttpClient(child.url);
    await client.callTool({ name: 'echo', arguments: { text: 'over http' } });
    await transport.terminateSession();
    await client.close();
    await stopHttpChild(child);
    const mine = () => receiver.spans().filter((s) => s.resource['service.name'] === service);
    await waitUntil(() => mine().some((s) => s.name === 'tools/call echo'), WAIT, 'the tools/call span');
    const http = new Set(mine().filter((s) => s.scope.name === '@opentelemetry/instrumentation-http' && s.kind === OTLP_SPAN_KIND.SERVER).map((s) => s.spanId));
    const mcp = mine().filter((s) => s.scope.name === 'mcp-otel');
    expect(mcp.map((s) => s.name)).toEqual(expect.arrayContaining(['initialize', 'tools/call echo']));
    for (const span of mcp) expect(span.links.some((l) => http.has(l.spanId)), `${span.name} links to its HTTP span`).toBe(true);
  }, TEST_TIMEOUT);

  it.each([
    { title: 'ESM stdio server', app: 'esm-app.mjs' },
    { title: 'CommonJS stdio server', app: 'cjs-app.cjs' },
  ])("README's NodeSDK snippet as pasted, $title: spans and session events arrive, flushed at exit", async ({ app }) => {
    const service = `fresh-${major}-nodesdk-${app}`;
    const child = await startStdioChild({ app: path.join(dir, app), node: runtime.node, cwd: dir, nodeArgs: ['--import', './telemetry.mjs'], env: env(receiver, { OTEL_SERVICE_NAME: service }) });
    await child.client.ping();
    await child.client.callTool({ name: 'echo', arguments: { text: 'sdk' } });
    child.transport.child?.stdin?.end();
    expect((await withTimeout(child.exited, 15_000, 'exit after stdin closed')).code).toBe(0);
    const mine = <T extends { resource: Record<string, unknown> }>(items: T[]) => items.filter((x) => x.resource['service.name'] === service);
    await receiver.waitFor(() => mine(receiver.logs()).some((l) => l.eventName === 'mcp.session.end'), WAIT, 'the session end event');
    const names = mine(receiver.spans()).map((s) => s.name);
    expect(names).toEqual(expect.arrayContaining(['initialize', 'tools/call echo']));
    expect(names).not.toContain('ping'); // the snippet's ignoreMethods
    expect(mine(receiver.metrics()).some((m) => m.name === 'mcp.server.operation.duration')).toBe(true);
    expect(jsonRpcLines(child.stdout()).length).toBe(3);
  }, TEST_TIMEOUT);

  it('console exporters and a bad variable: output and warning on stderr, stdout is JSON-RPC only', async () => {
    const child = await startStdioChild({
      app: path.join(dir, 'esm-app.mjs'),
      node: runtime.node,
      cwd: dir,
      nodeArgs: ['--import', 'mcp-otel/register'],
      env: {
        OTEL_TRACES_EXPORTER: 'console',
        OTEL_METRICS_EXPORTER: 'console',
        OTEL_LOGS_EXPORTER: 'console',
        OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT: '-5',
      },
    });
    await child.client.callTool({ name: 'echo', arguments: { text: 'to the console' } });
    child.transport.child?.stdin?.end();
    expect((await withTimeout(child.exited, 8000, 'exit after stdin closed')).code).toBe(0);
    const stderr = child.stderr();
    expect(stderr).toContain("name: 'tools/call echo'");
    expect(stderr).toContain("name: 'mcp.server.operation.duration'");
    expect(stderr).toContain("eventName: 'mcp.session.end'");
    expect(stderr).toContain('OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT="-5" is not a non-negative number; using 1800000');
    expect(jsonRpcLines(child.stdout()).length).toBe(2);
  }, TEST_TIMEOUT);
});

describe('the dashboards and rules of the installed package', () => {
  const DASHBOARDS = ['mcp-client.json', 'mcp-latency.json', 'mcp-sessions.json', 'mcp-usage.json'];
  const RULES = 'grafana/prometheus/rules/mcp-alerts.yml';
  const MANIFEST = 'grafana/prometheus/kubernetes/mcp-alerts.prometheusrule.yaml';
  let dir: string;
  let installed: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'mcp-otel-assets-'));
    npmInstall(currentRuntime(), dir, [tarball], INSTALL_TIMEOUT);
    installed = path.join(dir, 'node_modules', 'mcp-otel');
  }, INSTALL_TIMEOUT + 10_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** `require.resolve(specifier)` run by a consumer script in the install directory. */
  const resolveFromConsumer = (specifier: string): string =>
    execFileSync(process.execPath, ['-e', `console.log(require.resolve(${JSON.stringify(specifier)}))`], { cwd: dir, encoding: 'utf8' }).trim();
  const dashboards = (): Array<{ file: string; dashboard: Dashboard }> =>
    DASHBOARDS.map((file) => ({ file, dashboard: JSON.parse(readFileSync(resolveFromConsumer(`mcp-otel/grafana/dashboards/${file}`), 'utf8')) as Dashboard }));

  it('has the four dashboards under node_modules/mcp-otel/grafana/dashboards, the ones in this repository, resolvable by require', () => {
    expect(readdirSync(path.join(installed, 'grafana/dashboards')).sort()).toEqual(DASHBOARDS);
    for (const file of DASHBOARDS) {
      const resolved = resolveFromConsumer(`mcp-otel/grafana/dashboards/${file}`);
      expect(resolved).toBe(path.join(installed, 'grafana/dashboards', file));
      expect(readFileSync(resolved, 'utf8')).toBe(readFileSync(path.join(REPO_ROOT, 'grafana/dashboards', file), 'utf8'));
    }
    expect(dashboards().map(({ dashboard }) => dashboard.uid)).toEqual(['mcp-client', 'mcp-latency', 'mcp-sessions', 'mcp-usage']);
  });

  it('every datasource reference (panels, targets, variables, annotations, links) is a datasource variable, an input or a documented uid', () => {
    for (const { file, dashboard } of dashboards()) {
      expect(datasourceReferenceProblems(dashboard), file).toEqual([]);
      // And everything else the repository's lint asks of them (no hard-coded uid at all, job/instance variables, …).
      expect(lintDashboard(dashboard), file).toEqual([]);
    }
  });

  it('the installed dashboards type-check against the Grafana Foundation SDK types', () => {
    expect(foundationSdkTypeErrors(dashboards().map(({ file, dashboard }) => ({ name: file, dashboard })))).toEqual([]);
  }, 120_000);

  it('the rule file parses and has the recording and alerting groups', () => {
    const file = resolveFromConsumer(`mcp-otel/${RULES}`);
    expect(file).toBe(path.join(installed, RULES));
    const { groups } = parse(readFileSync(file, 'utf8')) as { groups: Array<{ name: string; rules: Array<Record<string, unknown>> }> };
    expect(groups.map((g) => g.name)).toEqual(['mcp-server.rules', 'mcp-server.alerts']);
    const [recording, alerting] = groups as [(typeof groups)[0], (typeof groups)[0]];
    expect(recording.rules.every((r) => typeof r.record === 'string' && typeof r.expr === 'string' && r.alert === undefined)).toBe(true);
    expect(recording.rules.map((r) => r.record)).toContain('mcp:objective:ratio');
    expect(alerting.rules.every((r) => typeof r.alert === 'string' && typeof r.expr === 'string' && r.record === undefined)).toBe(true);
    expect([...new Set(alerting.rules.map((r) => r.alert))].sort()).toEqual([
      'MCPServerErrorBudgetBurn',
      'MCPServerSessionEndSpike',
      'MCPServerTelemetryAbsent',
      'MCPServerToolErrorsHigh',
      'MCPServerToolLatencyHigh',
    ]);
  });

  it('the PrometheusRule manifest is one YAML document, a monitoring.coreos.com/v1 PrometheusRule with the rule file groups', () => {
    const file = resolveFromConsumer(`mcp-otel/${MANIFEST}`);
    expect(file).toBe(path.join(installed, MANIFEST));
    const manifest = readFileSync(file, 'utf8');
    expect(manifestProblems(manifest, readFileSync(path.join(installed, RULES), 'utf8'))).toEqual([]);
    expect(parse(manifest)).toMatchObject({ apiVersion: 'monitoring.coreos.com/v1', kind: 'PrometheusRule', metadata: { name: 'mcp-otel-alerts' } });
  });
});
