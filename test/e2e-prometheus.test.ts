/*
 * End to end with a real Prometheus (Debian's 2.42 on 127.0.0.1):
 *   examples/server.mjs under `node --import mcp-otel/register` with OTEL_METRICS_EXPORTER=prometheus
 *   ← examples/load.mjs (a bounded run at a high rate: every client type, errors, every way a session ends)
 *   → Prometheus scrapes /metrics every second (durations renamed to the OTLP-path names) and evaluates
 *     grafana/prometheus/rules/*.yml every second
 *   → every PromQL query of the committed dashboards (grafana/dashboards/*.json) and every rule expression
 *     must parse and return series; every metric and label they name must exist.
 * Series only Tempo's metrics-generator produces (traces_spanmetrics_*, traces_service_graph_*) cannot exist
 * here: those queries are checked for syntax only and listed in the output.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardPromQL, dashboardVariableQueries } from './helpers/dashboard-queries';
import { PromQLChecker, isTempoOnly, signalExpressions } from './helpers/promql-check';
import type { CheckResult } from './helpers/promql-check';
import { freePort, startPrometheus } from './helpers/prometheus';
import type { PrometheusServer, QueryResponse, Sample } from './helpers/prometheus';

const ROOT = resolve(__dirname, '..');
const RULES_DIR = join(ROOT, 'grafana', 'prometheus', 'rules');
const JOB = 'mcp-otel-example';
const IDLE_TIMEOUT_MS = 2000;
const LOAD_SECONDS = 25;

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

describe('end to end: example server → Prometheus 2.42 → dashboards and rules', () => {
  let prometheus: PrometheusServer;
  let server: Child;
  let load: Child;
  let loadExit: { code: number | null; signal: NodeJS.Signals | null };
  let checker: PromQLChecker;
  // A failed setup (e.g. no Prometheus) fails every test with its message rather than leaving them skipped.
  let setupError: unknown;
  const requireSetup = () => {
    if (setupError) throw setupError;
  };

  beforeAll(async () => {
    try {
      await setup();
    } catch (err) {
      setupError = err;
    }
  }, 120_000);

  async function setup(): Promise<void> {
    const mcpPort = await freePort();
    const metricsPort = await freePort();
    server = startNode('server', ['--import', 'mcp-otel/register', 'examples/server.mjs'], {
      PORT: String(mcpPort),
      OTEL_SERVICE_NAME: JOB,
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
      OTEL_TRACES_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT: String(IDLE_TIMEOUT_MS),
    });
    const healthy = Date.now() + 15_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${mcpPort}/healthz`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > healthy || server.proc.exitCode !== null) throw new Error(`example server did not start:\n${server.output()}`);
      await delay(100);
    }

    prometheus = await startPrometheus({ targets: [{ job: JOB, target: `127.0.0.1:${metricsPort}` }], ruleFiles: [join(RULES_DIR, '*.yml'), join(RULES_DIR, '*.yaml')] });
    await prometheus.waitForTargets();

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
    // Sessions left without DELETE time out (idle timeout + sweep), then a scrape and a rule evaluation follow.
    await delay(IDLE_TIMEOUT_MS * 2 + 3000);
    checker = new PromQLChecker(prometheus, new Date());
  }

  afterAll(async () => {
    await Promise.all(children.map((c) => stopChild(c)));
    await prometheus?.stop();
  }, 30_000);

  it('the load generator ran to the end', () => {
    requireSetup();
    expect(loadExit, load.output()).toEqual({ code: 0, signal: null });
    expect(load.output()).toMatch(/done after \d+ s: sessions \d+/);
  });

  it('the load produced every kind of data the dashboards and rules show', async () => {
    requireSetup();
    const expectations: Array<[string, string]> = [
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
      ['resource attributes', `target_info{service_name="${JOB}"}`],
    ];
    const missing: string[] = [];
    for (const [what, expr] of expectations) {
      if (series(await prometheus.query(expr)).length === 0) missing.push(`${what}: ${expr}`);
    }
    const types = series(await prometheus.query('count by (mcp_client_type) (mcp_server_session_started_total)')).map((s) => s.metric.mcp_client_type);
    for (const type of ['claude_code', 'cursor', 'vscode', 'zed', 'goose', 'mcp_inspector', 'other', 'unknown']) {
      if (!types.includes(type)) missing.push(`client type ${type} (seen: ${types.join(', ')})`);
    }
    expect(missing, `server output:\n${server.output()}\nload output:\n${load.output()}`).toEqual([]);
  });

  it('every dashboard query parses and returns series; Tempo-only queries parse', async () => {
    requireSetup();
    const queries = dashboardPromQL();
    expect(queries.length).toBeGreaterThan(0);
    const executed: Array<{ what: string; result: CheckResult }> = [];
    const tempoOnly: Array<{ what: string; result: CheckResult }> = [];
    for (const q of queries) {
      const what = `${q.dashboard} / ${q.panel} (${q.refId ?? '?'})`;
      if (isTempoOnly(q.expr)) tempoOnly.push({ what, result: await checker.check(q.expr, { parseOnly: true }) });
      else executed.push({ what, result: await checker.check(q.expr) });
    }
    console.log(
      `dashboards: ${executed.length} queries executed against Prometheus, ${tempoOnly.length} not executable here ` +
        `(Tempo metrics-generator series), checked for syntax only:\n` +
        tempoOnly.map((t) => `  - ${t.what}: ${t.result.expr}`).join('\n'),
    );
    expect(executed.length).toBeGreaterThan(0);
    expect(describeFailures(executed)).toEqual([]);
    expect(describeFailures(tempoOnly)).toEqual([]);
  });

  it('every dashboard variable query finds label values', async () => {
    requireSetup();
    const variables = dashboardVariableQueries();
    expect(variables.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const v of variables) {
      if (isTempoOnly(v.selector)) continue;
      const result = await checker.check(`group by (${v.label}) (${v.selector})`);
      const values = series(await prometheus.query(`group by (${v.label}) (${v.selector})`, new Date())).filter((s) => s.metric[v.label]);
      if (!result.ok || values.length === 0) failures.push(`${v.dashboard} $${v.variable}: ${result.problems.join('; ') || 'no values'} — ${v.raw}`);
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
      results.push({ what, result: await checker.check(rule.expr, { parseOnly: isTempoOnly(rule.expr) }) });
      if (!isTempoOnly(rule.expr)) results.push({ what: `${what} (recorded series)`, result: await checker.check(rule.record as string) });
    }
    expect(describeFailures(results)).toEqual([]);
  });

  it("every alert rule parses, and each series it compares (its signal) returns series", async () => {
    requireSetup();
    const rules = loadRules().filter((r) => r.alert);
    expect(rules.length).toBeGreaterThan(0);
    const results: Array<{ what: string; result: CheckResult }> = [];
    const tempoOnly: string[] = [];
    for (const rule of rules) {
      const what = `${rule.file} alert ${rule.alert}`;
      // The whole expression must parse (it need not fire on test data).
      results.push({ what: `${what} (whole expression)`, result: await checker.check(rule.expr, { parseOnly: true }) });
      const signals = signalExpressions(rule.expr);
      expect(signals.length, what).toBeGreaterThan(0);
      for (const signal of signals) {
        if (isTempoOnly(signal)) {
          tempoOnly.push(`${what}: ${signal}`);
          results.push({ what: `${what} signal`, result: await checker.check(signal, { parseOnly: true }) });
        } else results.push({ what: `${what} signal`, result: await checker.check(signal) });
      }
    }
    console.log(`alert rules: ${rules.length} checked; Tempo-only signals (syntax only): ${tempoOnly.length}${tempoOnly.map((t) => `\n  - ${t}`).join('')}`);
    expect(describeFailures(results)).toEqual([]);
  });

  it('Prometheus loaded every rule of the rule files and evaluates them without errors', async () => {
    requireSetup();
    const expected = loadRules();
    const body = await prometheus.get<{ data: { groups: Array<{ name: string; rules: Array<{ name: string; type: string; health: string; lastError?: string }> }> } }>('/api/v1/rules');
    const loaded = body.data.groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, ...r })));
    expect(loaded.length).toBe(expected.length);
    const unhealthy = loaded.filter((r) => r.health !== 'ok').map((r) => `${r.group}/${r.name}: ${r.health} ${r.lastError ?? ''}`);
    expect(unhealthy).toEqual([]);
  });

  it('the checker fails misspelt queries (negative controls)', async () => {
    requireSetup();
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

  it('the example server shuts down on SIGTERM with exit code 0', async () => {
    requireSetup();
    server.proc.kill('SIGTERM');
    const exit = await Promise.race([server.exited, delay(15_000).then(() => 'timeout' as const)]);
    expect(exit, server.output()).toEqual({ code: 0, signal: null });
    expect(server.output()).toMatch(/SIGTERM: closing \d+ session\(s\)/);
  });
}, 180_000);
