/*
 * End to end with real Prometheus servers on 127.0.0.1, one example server and one load run feeding three paths:
 *   examples/server.mjs under `node --import mcp-otel/register` with OTEL_METRICS_EXPORTER=otlp,prometheus
 *   ← examples/load.mjs (a bounded run at a high rate: every client type, errors, every way a session ends)
 *   1. scrape path: the JS Prometheus exporter's /metrics → Debian's Prometheus 2.42 (durations renamed to the
 *      OTLP-path names, as README shows);
 *   2. OTLP path: the default OTLP/HTTP protobuf exporter → the test's OTLP receiver → translated exactly as
 *      Prometheus 3's OTLP receiver stores it (test/helpers/otlp-to-prometheus.ts, with the `otlp:` settings of
 *      grafana/prometheus/prometheus.yml: job = <service.namespace>/<service.name>, instance = service.instance.id,
 *      promoted resource attributes, target_info, `_seconds`/`_total` names) → Prometheus 3.x (Debian forky's 3.5,
 *      unpacked by .ci/run) scraping that exposition with honor_labels and nothing of its own;
 *   3. the same without service.instance.id (a user's SDK set-up that sets none): no `instance` label at all.
 * Each Prometheus evaluates grafana/prometheus/rules/*.yml every second. On each, every PromQL query of the
 * committed dashboards (grafana/dashboards/*.json, variables at their "All" values) and every rule expression must
 * parse and return series, and every metric and label they name must exist.
 * Series only Tempo's metrics-generator produces (traces_spanmetrics_*, traces_service_graph_*) cannot exist
 * here: those queries are checked for syntax only and listed in the output.
 * Without Prometheus 3 (PROMETHEUS3_BIN or .ci/prometheus3) the OTLP paths fail in CI; elsewhere they run on 2.42
 * and say so in their names.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardPromQL, dashboardVariableQueries } from '../helpers/dashboard-queries';
import { decodeMetricsRequest, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { OtlpToPrometheus, otlpSettingsFromConfig, serveExposition } from '../helpers/otlp-to-prometheus';
import type { ExpositionServer } from '../helpers/otlp-to-prometheus';
import { PromQLChecker, isTempoOnly, signalExpressions } from '../helpers/promql-check';
import type { CheckResult } from '../helpers/promql-check';
import { PROMETHEUS_BIN, binaryVersion, freePort, prometheus3Binary, pushedScrapeTarget, startPrometheus } from '../helpers/prometheus';
import type { PrometheusServer, QueryResponse, Sample } from '../helpers/prometheus';

const ROOT = resolve(__dirname, '..', '..');
const RULES_DIR = join(ROOT, 'grafana', 'prometheus', 'rules');
const PROMETHEUS_CONFIG = join(ROOT, 'grafana', 'prometheus', 'prometheus.yml');
/** service.name, and the scrape job of the JS exporter path. */
const SERVICE = 'mcp-otel-example';
const NAMESPACE = 'mcp-e2e';
/** job on the OTLP path: <service.namespace>/<service.name>. */
const OTLP_JOB = `${NAMESPACE}/${SERVICE}`;
const INSTANCE_ID = randomUUID();
const IDLE_TIMEOUT_MS = 2000;
const LOAD_SECONDS = 25;
const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '');

interface Child {
  name: string;
  proc: ChildProcess;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: Child[] = [];
const delay = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A child `node` process with a clean environment (no OTEL_* or NODE_OPTIONS of the test runner). */
function startNode(name: string, args: string[], extraEnv: Record<string, string>): Child {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('OTEL_') && k !== 'NODE_OPTIONS') env[k] = v;
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  proc.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once('exit', (code, signal) => r({ code, signal })));
  const child = { name, proc, output: () => out, exited };
  children.push(child);
  return child;
}

/** The example server's port, once it logs it and answers /healthz; throws with its output otherwise. */
async function serverPort(server: Child): Promise<number> {
  const started = Date.now();
  let port = 0;
  for (;;) {
    port ||= Number(/MCP server on http:\/\/[^/]+:(\d+)\/mcp/.exec(server.output())?.[1] ?? 0);
    if (port > 0 && (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false))) return port;
    const waited = Date.now() - started;
    if (waited > 30_000 || server.proc.exitCode !== null) {
      throw new Error(`example server did not start (exit code ${server.proc.exitCode}, after ${waited} ms):\n${server.output()}`);
    }
    await delay(100);
  }
}

async function stopChild(child: Child, ms = 10_000): Promise<void> {
  if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const killer = setTimeout(() => child.proc.kill('SIGKILL'), ms);
  await child.exited;
  clearTimeout(killer);
}

function series(response: QueryResponse): Sample[] {
  return response.status === 'success' && response.data?.resultType === 'vector' ? (response.data.result as Sample[]) : [];
}

interface Rule {
  file: string;
  group: string;
  record?: string;
  alert?: string;
  expr: string;
}

function loadRules(): Rule[] {
  const files = readdirSync(RULES_DIR).filter((f) => /\.ya?ml$/.test(f)).sort();
  const rules: Rule[] = [];
  for (const file of files) {
    const doc = parseYaml(readFileSync(join(RULES_DIR, file), 'utf8')) as { groups?: Array<{ name: string; rules?: Array<Record<string, unknown>> }> };
    for (const group of doc.groups ?? []) {
      for (const r of group.rules ?? []) {
        rules.push({ file, group: group.name, record: r.record as string | undefined, alert: r.alert as string | undefined, expr: String(r.expr) });
      }
    }
  }
  return rules;
}

const describeFailures = (results: Array<{ what: string; result: CheckResult }>) =>
  results.filter((r) => !r.result.ok).map((r) => `${r.what}: ${r.result.problems.join('; ')}\n    ${r.result.expr.replace(/\s+/g, ' ')}`);

/** Every kind of data the dashboards and rules show; the setup waits until each path has all of it. */
const DATA_EXPECTATIONS: Array<[string, string]> = [
  ['tool errors (isError)', 'mcp_server_operation_duration_seconds_count{error_type="tool_error"}'],
  ['server errors (-32603)', 'mcp_server_operation_duration_seconds_count{error_type="-32603"}'],
  ['cancelled requests', 'mcp_server_operation_duration_seconds_count{error_type="cancelled"}'],
  ['requests cut off by a close', 'mcp_server_operation_duration_seconds_count{error_type="connection_closed"}'],
  ['responses that could not be delivered', 'mcp_server_operation_duration_seconds_count{error_type="send_failed"}'],
  ['caller faults (-32602 without error_type)', 'mcp_server_operation_duration_seconds_count{rpc_response_status_code="-32602", error_type=""}'],
  ['unknown tools', 'mcp_server_operation_duration_seconds_count{gen_ai_tool_name=~"get_wether|search|delete_everything"}'],
  ['prompts', 'mcp_server_operation_duration_seconds_count{mcp_method_name="prompts/get", gen_ai_prompt_name!=""}'],
  ['HTTP protocol version on operations', 'mcp_server_operation_duration_seconds_count{network_protocol_name="http", network_protocol_version="1.1"}'],
  ['sessions ended by DELETE (client_disconnect)', 'mcp_server_session_duration_seconds_count{mcp_session_disconnect_reason="client_disconnect"}'],
  ['sessions ended by idle timeout', 'mcp_server_session_duration_seconds_count{mcp_session_disconnect_reason="timeout"}'],
  ['sessions ended by an error', 'mcp_server_session_duration_seconds_count{mcp_session_disconnect_reason="error", error_type!=""}'],
  ['returning clients', 'mcp_server_session_started_total{mcp_client_returning="true"}'],
  ['new clients', 'mcp_server_session_started_total{mcp_client_returning="false"}'],
  ['per-client operations', 'mcp_server_client_operations_total{mcp_client_tracking_id=~"[0-9a-f]{16}"}'],
  ['active sessions gauge', 'mcp_server_session_active'],
  ['resource attributes', `target_info{service_name="${SERVICE}"}`],
];
const CLIENT_TYPES = ['claude_code', 'cursor', 'vscode', 'zed', 'goose', 'mcp_inspector', 'other', 'unknown'];

/** What is still missing on a Prometheus (empty when it has every kind of data and has recorded every rule). */
async function missingData(prometheus: PrometheusServer): Promise<string[]> {
  const missing: string[] = [];
  for (const [what, expr] of DATA_EXPECTATIONS) {
    if (series(await prometheus.query(expr)).length === 0) missing.push(`${what}: ${expr}`);
  }
  const types = series(await prometheus.query('count by (mcp_client_type) (mcp_server_session_started_total)')).map((s) => s.metric.mcp_client_type);
  for (const type of CLIENT_TYPES) if (!types.includes(type)) missing.push(`client type ${type} (seen: ${types.join(', ')})`);
  for (const rule of loadRules()) {
    if (rule.record && !isTempoOnly(rule.expr) && series(await prometheus.query(rule.record)).length === 0) missing.push(`recorded series ${rule.record}`);
  }
  return missing;
}

/** One Prometheus fed by one path, and what its data must look like. */
interface Path {
  title: string;
  prometheus?: PrometheusServer;
  checker?: PromQLChecker;
  /** The `instance` label MCP series must carry (undefined: none). */
  instance?: string;
  /** The `job` label MCP series must carry. */
  job: string;
  otlp: boolean;
}

const prometheus3 = prometheus3Binary();
const PROMETHEUS3_MISSING =
  'Prometheus 3 is not available: set PROMETHEUS3_BIN, or run .ci/run, which unpacks Debian forky\'s prometheus ' +
  'package into .ci/prometheus3/ without installing it.';
const otlpServer = prometheus3 ? 'Prometheus 3.x' : 'Prometheus 2.42 (no Prometheus 3 here)';

const paths: Record<'scrape' | 'otlp' | 'otlpNoInstance', Path> = {
  scrape: { title: 'JS Prometheus exporter → Prometheus 2.42 (scrape, durations renamed)', job: SERVICE, instance: undefined, otlp: false },
  otlp: { title: `OTLP/HTTP as Prometheus' OTLP receiver stores it → ${otlpServer}, with service.instance.id`, job: OTLP_JOB, instance: INSTANCE_ID, otlp: true },
  otlpNoInstance: { title: `OTLP/HTTP as Prometheus' OTLP receiver stores it → ${otlpServer}, without service.instance.id`, job: OTLP_JOB, instance: undefined, otlp: true },
};

describe('end to end: example server → Prometheus (scrape and OTLP labelling) → dashboards and rules', () => {
  let server: Child;
  let load: Child;
  let loadExit: { code: number | null; signal: NodeJS.Signals | null };
  let receiver: OtlpReceiver;
  let exposition: ExpositionServer;
  const translators = {
    withInstance: undefined as OtlpToPrometheus | undefined,
    withoutInstance: undefined as OtlpToPrometheus | undefined,
  };
  let translationError: unknown;
  let setupMs = 0;
  // A failed setup (e.g. no Prometheus) fails every test with its message rather than leaving them skipped.
  let setupError: unknown;
  const requireSetup = () => {
    if (setupError) throw setupError;
  };

  beforeAll(async () => {
    const started = Date.now();
    try {
      await setup();
    } catch (err) {
      setupError = err;
    }
    setupMs = Date.now() - started;
  }, 150_000);

  /** Feeds every metrics export received so far (once) to both translators. */
  let fed = 0;
  function feed(): void {
    const requests = receiver.requests();
    const bodies = receiver.bodies();
    if (receiver.errors().length) throw new Error(`the OTLP receiver rejected exports: ${receiver.errors().join('; ')}`);
    // keepBodies stores the body of every accepted request, in the order of requests().
    for (; fed < requests.length && fed < bodies.length; fed++) {
      const request = requests[fed];
      if (request?.signal !== 'metrics') continue;
      if (request.encoding !== 'protobuf') throw new Error(`metrics arrived as ${request.encoding}, expected the default http/protobuf`);
      const decoded = decodeMetricsRequest(bodies[fed] as Buffer, 'protobuf');
      translators.withInstance?.ingest(decoded);
      translators.withoutInstance?.ingest(decoded);
    }
  }
  const render = (translator: () => OtlpToPrometheus | undefined) => () => {
    try {
      feed();
      const t = translator() as OtlpToPrometheus;
      if (t.errors().length) throw new Error(`translation: ${t.errors().join('; ')}`);
      return t.exposition();
    } catch (err) {
      translationError ??= err;
      throw err;
    }
  };

  async function setup(): Promise<void> {
    if (!prometheus3 && IN_CI) throw new Error(PROMETHEUS3_MISSING);
    if (!prometheus3) console.warn(`${PROMETHEUS3_MISSING} The OTLP-labelled paths run on Prometheus 2.42 instead.`);
    const otlpConfig = (parseYaml(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as { otlp?: Record<string, unknown> }).otlp;
    const settings = otlpSettingsFromConfig(otlpConfig);
    translators.withInstance = new OtlpToPrometheus({ settings });
    translators.withoutInstance = new OtlpToPrometheus({ settings, dropResourceAttributes: ['service.instance.id'] });
    receiver = await startOtlpReceiver({ keepBodies: true });
    exposition = await serveExposition({
      '/metrics': render(() => translators.withInstance),
      '/metrics-without-instance': render(() => translators.withoutInstance),
    });

    let mcpPort = 0;
    let metricsPort = 0;
    // The Prometheus exporter's port comes from freePort(), whose probe is closed before the server binds it.
    // Should another process take it in between (the exporter then only logs EADDRINUSE, at OTEL_LOG_LEVEL=error),
    // the server starts again on a new one: the exporter must serve this server's target_info.
    for (let attempt = 1; ; attempt++) {
      metricsPort = await freePort();
      server = startNode('server', ['--import', 'mcp-otel/register', 'examples/server.mjs'], {
        PORT: '0', // the server picks its own port and logs it
        OTEL_SERVICE_NAME: SERVICE,
        OTEL_RESOURCE_ATTRIBUTES: `service.namespace=${NAMESPACE},service.version=1.2.3,deployment.environment.name=e2e,service.instance.id=${INSTANCE_ID}`,
        // Both metric readers: the default OTLP exporter (http/protobuf) to the receiver, and the Prometheus exporter.
        OTEL_METRICS_EXPORTER: 'otlp,prometheus',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_METRIC_EXPORT_INTERVAL: '1000',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
        OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
        OTEL_TRACES_EXPORTER: 'none',
        OTEL_LOGS_EXPORTER: 'none',
        OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT: String(IDLE_TIMEOUT_MS),
      });
      mcpPort = await serverPort(server);
      const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((r) => r.text(), () => '');
      if (scraped.includes(INSTANCE_ID)) break;
      if (attempt >= 3) throw new Error(`the server's Prometheus exporter did not answer on its port in 3 attempts:\n${server.output()}`);
      await stopChild(server);
    }

    const ruleFiles = [join(RULES_DIR, '*.yml'), join(RULES_DIR, '*.yaml')];
    const exposed = `127.0.0.1:${exposition.port}`;
    const [scrape, otlp, otlpNoInstance] = await Promise.all([
      startPrometheus({ binary: PROMETHEUS_BIN, targets: [{ job: SERVICE, target: `127.0.0.1:${metricsPort}` }], ruleFiles }),
      startPrometheus({ binary: prometheus3 ?? PROMETHEUS_BIN, targets: [pushedScrapeTarget('otlp', exposed, '/metrics')], ruleFiles }),
      startPrometheus({ binary: prometheus3 ?? PROMETHEUS_BIN, targets: [pushedScrapeTarget('otlp', exposed, '/metrics-without-instance')], ruleFiles }),
    ]);
    paths.scrape.prometheus = scrape;
    paths.otlp.prometheus = otlp;
    paths.otlpNoInstance.prometheus = otlpNoInstance;
    await Promise.all([scrape.waitForTargets(), otlp.waitForTargets(), otlpNoInstance.waitForTargets()]);

    load = startNode('load', ['examples/load.mjs'], {
      MCP_URL: `http://127.0.0.1:${mcpPort}/mcp`,
      LOAD_DURATION_SECONDS: String(LOAD_SECONDS),
      LOAD_SESSIONS_PER_MINUTE: '360',
      LOAD_CONCURRENCY: '60',
      LOAD_USERS: '80',
      LOAD_THINK_MS: '120',
      LOAD_CALLS_PER_SESSION: '6',
    });
    loadExit = await Promise.race([load.exited, delay((LOAD_SECONDS + 20) * 1000).then(() => ({ code: null, signal: null }))]);
    // Sessions left without DELETE end by idle timeout (+ sweep); then an export, a scrape and a rule evaluation
    // follow. Poll every Prometheus until it has every kind of data and every recorded series.
    const until = Date.now() + 30_000;
    for (;;) {
      if (translationError) throw translationError;
      const missing = (await Promise.all(Object.values(paths).map(async (p) => (await missingData(p.prometheus as PrometheusServer)).map((m) => `${p.title}: ${m}`)))).flat();
      if (missing.length === 0) break;
      if (Date.now() > until) throw new Error(`the data did not arrive within 30 s after the load:\n${missing.join('\n')}\nserver output:\n${server.output()}\nload output:\n${load.output()}`);
      await delay(500);
    }
    const at = new Date();
    for (const p of Object.values(paths)) {
      // The example's clients all initialize, so no session is synthesised and mcp_session_synthesized is on no series
      // (the rules only exclude it); its effect is unit-tested in grafana/prometheus/tests/mcp-alerts.test.yml.
      const absent = ['mcp_session_synthesized', ...(p.instance || !p.otlp ? [] : ['instance'])];
      p.checker = new PromQLChecker(p.prometheus as PrometheusServer, at, { absentLabels: absent });
    }
  }

  afterAll(async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    await Promise.all(Object.values(paths).map((p) => p.prometheus?.stop()));
    await exposition?.close();
    await receiver?.close();
    console.log(`e2e setup (servers, ${LOAD_SECONDS} s of load, data arrival): ${(setupMs / 1000).toFixed(1)} s`);
  }, 30_000);

  it('the load generator ran to the end', () => {
    requireSetup();
    expect(loadExit, load.output()).toEqual({ code: 0, signal: null });
    expect(load.output()).toMatch(/done after \d+ s: sessions \d+/);
  });

  it('the OTLP path received real OTLP/HTTP protobuf exports and translated them without errors', () => {
    requireSetup();
    feed(); // exports that arrived after the last scrape
    const metrics = receiver.requests().filter((r) => r.signal === 'metrics');
    expect(metrics.length).toBeGreaterThan(LOAD_SECONDS / 2);
    expect(new Set(metrics.map((r) => r.encoding))).toEqual(new Set(['protobuf']));
    expect(receiver.errors()).toEqual([]);
    for (const t of [translators.withInstance, translators.withoutInstance] as OtlpToPrometheus[]) {
      expect(t.errors()).toEqual([]);
      expect(t.requests).toBe(metrics.length);
    }
    expect(exposition.scrapes('/metrics')).toBeGreaterThan(LOAD_SECONDS);
    expect(exposition.scrapes('/metrics-without-instance')).toBeGreaterThan(LOAD_SECONDS);
  });

  it('the Prometheus servers are the versions this test is about', async () => {
    requireSetup();
    const version = async (p: Path) =>
      (await (p.prometheus as PrometheusServer).get<{ data: { version: string } }>('/api/v1/status/buildinfo')).data.version;
    expect(await version(paths.scrape)).toMatch(/^2\.42\./);
    const expected = prometheus3 ? binaryVersion(prometheus3) : [2, 42];
    for (const p of [paths.otlp, paths.otlpNoInstance]) expect(await version(p)).toMatch(new RegExp(`^${expected[0]}\\.${expected[1]}\\.`));
    if (prometheus3) expect(expected[0]).toBe(3);
  });

  for (const path of Object.values(paths)) {
    describe(path.title, () => {
      const prom = () => path.prometheus as PrometheusServer;
      const checker = () => path.checker as PromQLChecker;

      it('has every kind of data the dashboards and rules show', async () => {
        requireSetup();
        expect(await missingData(prom()), `server output:\n${server.output()}\nload output:\n${load.output()}`).toEqual([]);
      });

      it(`labels the MCP series job="${path.job}" and ${path.instance ? 'instance="<service.instance.id>"' : path.otlp ? 'no instance' : 'instance="<host:port>"'}`, async () => {
        requireSetup();
        const byJobInstance = series(await prom().query('count by (job, instance) ({__name__=~"mcp_server_.+"})')).map((s) => s.metric);
        expect(byJobInstance).toHaveLength(1);
        expect(byJobInstance[0]?.job).toBe(path.job);
        if (path.otlp) expect(byJobInstance[0]?.instance).toBe(path.instance);
        else expect(byJobInstance[0]?.instance).toMatch(/^127\.0\.0\.1:\d+$/);
      });

      if (path.otlp) {
        it('names and labels series as the OTLP receiver does: suffixes, promoted resource attributes, target_info, no scope labels', async () => {
          requireSetup();
          // Unit suffix `_seconds` on the histograms, `_total` on the counters, none for the {session}/{operation} units,
          // the UpDownCounter as a gauge.
          const names = (await prom().get<{ data: string[] }>('/api/v1/label/__name__/values')).data;
          expect(names.filter((n) => n.startsWith('mcp_'))).toEqual([
            'mcp_server_client_operations_total',
            'mcp_server_operation_duration_seconds_bucket',
            'mcp_server_operation_duration_seconds_count',
            'mcp_server_operation_duration_seconds_sum',
            'mcp_server_session_active',
            'mcp_server_session_duration_seconds_bucket',
            'mcp_server_session_duration_seconds_count',
            'mcp_server_session_duration_seconds_sum',
            'mcp_server_session_started_total',
          ]);
          expect(names).toContain('http_server_request_duration_seconds_bucket');
          const promoted = `service_name="${SERVICE}", service_namespace="${NAMESPACE}", service_version="1.2.3", deployment_environment_name="e2e"`;
          const instanceId = path.instance ? `service_instance_id="${path.instance}"` : 'service_instance_id=""';
          const empty: string[] = [];
          for (const expr of [
            `mcp_server_operation_duration_seconds_count{${promoted}, ${instanceId}}`,
            `mcp_server_session_active{${promoted}, ${instanceId}}`,
            // keep_identifying_resource_attributes: service.* stay in target_info; the rest of the resource is there too.
            `target_info{job="${path.job}", ${promoted}, ${instanceId}, host_name!="", process_pid!="", telemetry_sdk_language="nodejs"}`,
            // Classic histogram buckets with the receiver's `le` formatting.
            'mcp_server_operation_duration_seconds_bucket{le="1"}',
            'mcp_server_operation_duration_seconds_bucket{le="+Inf"}',
          ]) {
            if (series(await prom().query(expr)).length === 0) empty.push(expr);
          }
          expect(empty).toEqual([]);
          // No scope labels (promote_scope_metadata is off); `le` as the receiver writes it, not normalised.
          for (const expr of ['{__name__=~".+", otel_scope_name!=""}', 'mcp_server_operation_duration_seconds_bucket{le="1.0"}']) {
            expect(series(await prom().query(expr)), expr).toEqual([]);
          }
          if (!path.instance) {
            expect(series(await prom().query('{__name__=~"mcp_.+|target_info", service_instance_id!=""}'))).toEqual([]);
            expect(series(await prom().query('{__name__=~"mcp_.+|target_info", instance!=""}'))).toEqual([]);
          }
        });
      }

      it('every dashboard query parses and returns series; Tempo-only queries parse', async () => {
        requireSetup();
        const queries = dashboardPromQL();
        expect(queries.length).toBeGreaterThan(0);
        const executed: Array<{ what: string; result: CheckResult }> = [];
        const tempoOnly: Array<{ what: string; result: CheckResult }> = [];
        for (const q of queries) {
          const what = `${q.dashboard} / ${q.panel} (${q.refId ?? '?'})`;
          if (isTempoOnly(q.expr)) tempoOnly.push({ what, result: await checker().check(q.expr, { parseOnly: true }) });
          else executed.push({ what, result: await checker().check(q.expr) });
        }
        if (path === paths.scrape) {
          console.log(
            `dashboards: ${executed.length} queries executed against Prometheus, ${tempoOnly.length} not executable here ` +
              `(Tempo metrics-generator series), checked for syntax only:\n` +
              tempoOnly.map((t) => `  - ${t.what}: ${t.result.expr}`).join('\n'),
          );
        }
        expect(executed.length).toBeGreaterThan(0);
        expect(describeFailures(executed)).toEqual([]);
        expect(describeFailures(tempoOnly)).toEqual([]);
      });

      it(`every dashboard variable query finds label values${path.otlp && !path.instance ? ' ($instance: none, only "All")' : ''}`, async () => {
        requireSetup();
        const variables = dashboardVariableQueries();
        expect(variables.length).toBeGreaterThan(0);
        const failures: string[] = [];
        for (const v of variables) {
          if (isTempoOnly(v.selector)) continue;
          const query = `group by (${v.label}) (${v.selector})`;
          const result = await checker().check(query);
          const values = series(await prom().query(query, new Date())).filter((s) => s.metric[v.label]);
          // Without service.instance.id there is no instance label: the selector still finds series, the variable
          // has no values and Grafana offers only "All".
          const expectValues = !(path.otlp && !path.instance && v.label === 'instance');
          if (!result.ok) failures.push(`${v.dashboard} $${v.variable}: ${result.problems.join('; ')} — ${v.raw}`);
          else if (expectValues && values.length === 0) failures.push(`${v.dashboard} $${v.variable}: no values — ${v.raw}`);
          else if (!expectValues && values.length > 0) failures.push(`${v.dashboard} $${v.variable}: values ${JSON.stringify(values.map((s) => s.metric))}, expected none — ${v.raw}`);
        }
        expect(failures).toEqual([]);
      });

      it('every recording rule returns series, and Prometheus records them', async () => {
        requireSetup();
        const rules = loadRules().filter((r) => r.record);
        expect(rules.length).toBeGreaterThan(0);
        const results: Array<{ what: string; result: CheckResult }> = [];
        for (const rule of rules) {
          const what = `${rule.file} ${rule.group} record ${rule.record}`;
          results.push({ what, result: await checker().check(rule.expr, { parseOnly: isTempoOnly(rule.expr) }) });
          if (!isTempoOnly(rule.expr)) results.push({ what: `${what} (recorded series)`, result: await checker().check(rule.record as string) });
        }
        expect(describeFailures(results)).toEqual([]);
        // The per-job rules see exactly this path's job.
        const jobs = series(await prom().query('group by (job) (job:mcp_server_operation_errors:ratio_rate5m)')).map((s) => s.metric.job);
        expect(jobs).toEqual([path.job]);
      });

      it('every alert rule parses, and each series it compares (its signal) returns series', async () => {
        requireSetup();
        const rules = loadRules().filter((r) => r.alert);
        expect(rules.length).toBeGreaterThan(0);
        const results: Array<{ what: string; result: CheckResult }> = [];
        const tempoOnly: string[] = [];
        for (const rule of rules) {
          const what = `${rule.file} alert ${rule.alert}`;
          // The whole expression must parse (it need not fire on test data).
          results.push({ what: `${what} (whole expression)`, result: await checker().check(rule.expr, { parseOnly: true }) });
          const signals = signalExpressions(rule.expr);
          expect(signals.length, what).toBeGreaterThan(0);
          for (const signal of signals) {
            if (isTempoOnly(signal)) {
              tempoOnly.push(`${what}: ${signal}`);
              results.push({ what: `${what} signal`, result: await checker().check(signal, { parseOnly: true }) });
            } else results.push({ what: `${what} signal`, result: await checker().check(signal) });
          }
        }
        if (path === paths.scrape) {
          console.log(`alert rules: ${rules.length} checked; Tempo-only signals (syntax only): ${tempoOnly.length}${tempoOnly.map((t) => `\n  - ${t}`).join('')}`);
        }
        expect(describeFailures(results)).toEqual([]);
      });

      it('Prometheus loaded every rule of the rule files and evaluates them without errors', async () => {
        requireSetup();
        const expected = loadRules();
        const body = await prom().get<{ data: { groups: Array<{ name: string; rules: Array<{ name: string; type: string; health: string; lastError?: string }> }> } }>('/api/v1/rules');
        const loaded = body.data.groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, ...r })));
        expect(loaded.length).toBe(expected.length);
        const unhealthy = loaded.filter((r) => r.health !== 'ok').map((r) => `${r.group}/${r.name}: ${r.health} ${r.lastError ?? ''}`);
        expect(unhealthy).toEqual([]);
      });
    });
  }

  describe(`${paths.scrape.title}: the checker`, () => {
    it('fails misspelt queries (negative controls)', async () => {
      requireSetup();
      const checker = paths.scrape.checker as PromQLChecker;
      const bad: Array<[string, string, RegExp]> = [
        // The JS exporter's own name: without the rename, a dashboard on it would be empty.
        ['renamed metric', 'sum(rate(mcp_server_operation_duration_count[1m]))', /metric mcp_server_operation_duration_count has no series/],
        ['mistyped label in a matcher', 'sum(rate(mcp_server_operation_duration_seconds_count{mcp_method="tools/call"}[1m]))', /no series/],
        ['mistyped label in a != "" matcher', 'sum(rate(mcp_server_operation_duration_seconds_count{error_typ!=""}[1m]))', /label error_typ is on none/],
        ['mistyped label in by ()', 'sum by (gen_ai_tool) (rate(mcp_server_operation_duration_seconds_count[1m]))', /label gen_ai_tool is on none/],
        ['mistyped label in on ()', 'mcp_server_session_active * on (instanse) group_left (service_name) target_info', /label instanse is on none/],
        ['syntax error', 'sum(rate(mcp_server_operation_duration_seconds_count[1m])', /Prometheus: bad_data/],
        ['syntax Prometheus 2.42 lacks', 'sum(rate({"mcp_server_operation_duration_seconds_count"}[1m]))', /Prometheus: bad_data/],
      ];
      const good = 'sum by (gen_ai_tool_name) (rate(mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call", error_type!=""}[1m]))';
      expect((await checker.check(good)).problems).toEqual([]);
      for (const [what, expr, problem] of bad) {
        const result = await checker.check(expr);
        expect(result.ok, `${what} should fail: ${expr}`).toBe(false);
        expect(result.problems.join('; '), what).toMatch(problem);
      }
      // The same through the alert path: a misspelt operand of an `and` fails although the other one is fine.
      const rate = (name: string) => `sum by (job) (rate(${name}{error_type!=""}[5m]))`;
      const alert = `${rate('mcp_server_operation_duration_seconds_count')} > 0.1 and ${rate('mcp_server_operation_duration_second_count')} > 0.1`;
      const signals = signalExpressions(alert);
      expect(signals).toEqual([rate('mcp_server_operation_duration_seconds_count'), rate('mcp_server_operation_duration_second_count')]);
      const checked = await Promise.all(signals.map((s) => checker.check(s)));
      expect(checked.map((c) => c.ok)).toEqual([true, false]);
      expect(signalExpressions('absent_over_time(target_info{job="x"}[10m])')).toEqual(['target_info{job="x"}']);
      expect(signalExpressions('(a > bool 1) unless b < 0')).toEqual(['a > bool 1', 'b']);
    });
  });

  describe(`${paths.otlpNoInstance.title}: the checker`, () => {
    it('fails what an instance filter with "All" = .+ selects here (negative control)', async () => {
      requireSetup();
      const checker = paths.otlpNoInstance.checker as PromQLChecker;
      const allPlus = 'sum(rate(mcp_server_operation_duration_seconds_count{job=~".+", instance=~".+"}[1m]))';
      const result = await checker.check(allPlus);
      expect(result.ok).toBe(false);
      expect(result.problems.join('; ')).toMatch(/no series/);
      expect((await checker.check(allPlus.replace('instance=~".+"', 'instance=~".*"'))).problems).toEqual([]);
      // The JS exporter's names do not exist on the OTLP path.
      expect((await checker.check('mcp_server_operation_duration_count')).ok).toBe(false);
    });
  });

  it('the example server shuts down on SIGTERM with exit code 0', async () => {
    requireSetup();
    server.proc.kill('SIGTERM');
    const exit = await Promise.race([server.exited, delay(15_000).then(() => 'timeout' as const)]);
    expect(exit, server.output()).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/SIGTERM: closing \d+ session\(s\)/);
  });
}, 240_000);
