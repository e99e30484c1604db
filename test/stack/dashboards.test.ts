/*
 * The Grafana dashboards in grafana/dashboards/*.json are generated from grafana/dashboards/src/*.ts
 * (Grafana Foundation SDK) by `npm run dashboards`. These tests check that the committed JSON is
 * exactly what the generator produces, that it follows grafana/dashboard-linter's rules, that every
 * PromQL and TraceQL query parses, that they type-check against the Grafana Foundation SDK's types, that every
 * datasource reference is portable (variables, no uid), and that the checkers themselves catch broken input.
 * test/process/fresh-install.test.ts runs the same checks on the copies in the installed npm package.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DASHBOARD_DIR,
  allPanels,
  dashboardPromQL,
  dashboardTraceQL,
  dashboardVariableQueries,
  loadDashboards,
  substituteVariables,
} from '../helpers/dashboard-queries';
import type { Dashboard, Panel, Target } from '../helpers/dashboard-queries';
import { datasourceReferenceProblems, lintDashboard, lintPromQL, lintTraceQL, promqlSyntaxErrors, traceqlSyntaxErrors } from '../helpers/dashboard-lint';
import { foundationSdkTypeErrors } from '../helpers/dashboard-schema';

const ROOT = join(__dirname, '..', '..');
const UIDS = ['mcp-client', 'mcp-latency', 'mcp-sessions', 'mcp-usage'];
const dashboards = loadDashboards();
const byUid = new Map(dashboards.map(({ dashboard }) => [dashboard.uid, dashboard]));
const clone = (d: Dashboard): Dashboard => JSON.parse(JSON.stringify(d)) as Dashboard;
const get = (uid: string): Dashboard => {
  const d = byUid.get(uid);
  if (!d) throw new Error(`dashboard ${uid} missing from ${DASHBOARD_DIR}`);
  return d;
};
const targets = (d: Dashboard): Array<{ panel: Panel; target: Target }> =>
  allPanels(d).flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel, target })));

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

describe('generated dashboards are committed', () => {
  const out = mkdtempSync(join(tmpdir(), 'mcp-otel-dashboards-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('regenerating gives exactly the committed files', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-dashboards.mjs'), '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, `generator failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
    const generated = readdirSync(out).filter((f) => f.endsWith('.json')).sort();
    const committed = readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json')).sort();
    expect(committed, 'grafana/dashboards/*.json differ from the generator output: run `npm run dashboards`').toEqual(generated);
    for (const file of generated) {
      const want = readFileSync(join(out, file));
      const have = readFileSync(join(DASHBOARD_DIR, file));
      expect(have.equals(want), `grafana/dashboards/${file} is out of date: run \`npm run dashboards\` and commit the result`).toBe(true);
    }
  }, 120_000);

  it('the JSON is canonical: sorted keys, 2-space indent, trailing newline', () => {
    for (const file of readdirSync(DASHBOARD_DIR).filter((f) => f.endsWith('.json'))) {
      const text = readFileSync(join(DASHBOARD_DIR, file), 'utf8');
      expect(text, file).toBe(`${JSON.stringify(sortKeys(JSON.parse(text)), null, 2)}\n`);
    }
  });

  it('has the four dashboards with fixed, unique uids named after their files', () => {
    expect(dashboards.map((d) => d.dashboard.uid).sort()).toEqual(UIDS);
    for (const { file, dashboard } of dashboards) expect(file).toBe(`${dashboard.uid}.json`);
    expect(new Set(dashboards.map((d) => d.dashboard.title)).size).toBe(dashboards.length);
  });
});

describe('lint rules (grafana/dashboard-linter style)', () => {
  it.each(UIDS)('%s has no lint problems', (uid) => {
    expect(lintDashboard(get(uid))).toEqual([]);
  });

  it('schema: classic dashboard JSON with tags, time and refresh', () => {
    for (const d of byUid.values()) {
      expect(d.schemaVersion).toBe(42);
      expect(d.tags).toEqual(['mcp']);
      expect(d.time).toEqual({ from: 'now-1h', to: 'now' });
      expect(d.refresh).toBe('30s');
      type Pos = { x: number; y: number; w: number; h: number };
      const placed: Array<{ title: string; pos: Pos }> = [];
      for (const panel of allPanels(d)) {
        const pos = panel.gridPos as Pos;
        expect(pos.x + pos.w, `${d.uid} ${panel.title}`).toBeLessThanOrEqual(24);
        for (const other of placed) {
          const overlap = pos.x < other.pos.x + other.pos.w && other.pos.x < pos.x + pos.w && pos.y < other.pos.y + other.pos.h && other.pos.y < pos.y + pos.h;
          expect(overlap, `${d.uid}: "${panel.title}" overlaps "${other.title}"`).toBe(false);
        }
        placed.push({ title: panel.title ?? '', pos });
      }
    }
  });

  it('catches a panel without unit or description', () => {
    const d = clone(get('mcp-usage'));
    const panel = allPanels(d).find((p) => p.type === 'timeseries') as Panel;
    delete panel.description;
    delete panel.fieldConfig?.defaults?.unit;
    const problems = lintDashboard(d);
    expect(problems.some((p) => p.includes('needs a one-line description'))).toBe(true);
    expect(problems.some((p) => p.includes('no unit'))).toBe(true);
  });

  it('catches hard-coded datasource uids on panels, targets and variables', () => {
    const d = clone(get('mcp-latency'));
    const [first, second] = targets(d).filter(({ target }) => target.datasource?.type === 'prometheus');
    (first as { target: Target }).target.datasource = { type: 'prometheus', uid: 'prometheus' };
    (second as { panel: Panel }).panel.datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
    const job = d.templating?.list?.find((v) => v.name === 'job');
    (job as { datasource: unknown }).datasource = 'Prometheus';
    const problems = lintDashboard(d);
    expect(problems.filter((p) => p.includes('hard-coded datasource')).length).toBeGreaterThanOrEqual(3);
    expect(problems.some((p) => p.includes('must use ${datasource}'))).toBe(true);
  });

  it('catches missing template variables and a wrong "All" value', () => {
    const d = clone(get('mcp-sessions'));
    d.templating = { list: (d.templating?.list ?? []).filter((v) => v.name !== 'traces' && v.name !== 'instance') };
    const job = d.templating.list?.find((v) => v.name === 'job');
    // `.+` would hide every series without the label (an SDK without service.instance.id has no instance label).
    (job as { allValue: string }).allValue = '.+';
    const client = d.templating.list?.find((v) => v.name === 'client_type');
    (client as { allValue: string }).allValue = '.*';
    const problems = lintDashboard(d);
    expect(problems.some((p) => p.includes('needs variable traces'))).toBe(true);
    expect(problems.some((p) => p.includes('needs query variable instance'))).toBe(true);
    expect(problems.some((p) => p.includes('job must be multi with All = .*'))).toBe(true);
    expect(problems.some((p) => p.includes('client_type must have All = .+'))).toBe(true);
  });

  it('catches duplicate panel ids and a missing dashboard link', () => {
    const d = clone(get('mcp-client'));
    const panels = allPanels(d);
    (panels[2] as Panel).id = (panels[1] as Panel).id;
    d.links = [];
    const problems = lintDashboard(d);
    expect(problems.some((p) => p.includes('duplicate panel id'))).toBe(true);
    expect(problems.some((p) => p.includes('dashboards link'))).toBe(true);
  });

  it('catches rate() without $__rate_interval and selectors without job/instance', () => {
    const d = clone(get('mcp-usage'));
    const { target } = targets(d).find(({ target }) => target.expr?.includes('rate(')) as { target: Target };
    target.expr = (target.expr as string).replace('[$__rate_interval]', '[5m]').replace(', instance=~"$instance"', '');
    const problems = lintDashboard(d);
    expect(problems.some((p) => p.includes('must use [$__rate_interval], got [5m]'))).toBe(true);
    expect(problems.some((p) => p.includes('must filter instance=~"$instance"'))).toBe(true);
  });
});

describe('PromQL targets', () => {
  const labels = ['job', 'instance', 'method', 'tool', 'client_type', 'tracking_id'];
  const queries = dashboardPromQL();

  it('every target parses with lezer-promql after variable substitution', () => {
    expect(queries.length).toBeGreaterThan(40);
    const failures = queries
      .map((q) => ({ q, errors: promqlSyntaxErrors(q.expr) }))
      .filter(({ errors }) => errors.length)
      .map(({ q, errors }) => `${q.dashboard} / ${q.panel} ${q.refId}: ${errors.join('; ')}\n  ${q.expr}`);
    expect(failures).toEqual([]);
  });

  it('dashboardPromQL() substitutes every variable and macro', () => {
    for (const q of queries) {
      expect(q.expr, `${q.dashboard} / ${q.panel}`).not.toMatch(/\$|\[\[/);
      expect(q.raw).toContain('$');
    }
    const rate = queries.find((q) => q.raw.includes('[$__rate_interval]')) as { expr: string };
    expect(rate.expr).toContain('[1m]');
    // "All" as Grafana sends it: job and instance `.*` (they may be absent), the other variables `.+`.
    expect(rate.expr).toContain('job=~".*", instance=~".*"');
    expect(queries.some((q) => q.raw.includes('mcp_method_name=~"$method"') && q.expr.includes('mcp_method_name=~".+"'))).toBe(true);
    const range = queries.find((q) => q.raw.includes('[$__range:$__interval]')) as { expr: string };
    expect(range.expr).toContain('[5m:15s]');
  });

  it('variable queries are label_values() over a selector that parses', () => {
    const vars = dashboardVariableQueries();
    expect(vars.map((v) => `${v.dashboard}:${v.variable}`)).toEqual(
      expect.arrayContaining(['mcp-client:tracking_id', 'mcp-client:client_type', 'mcp-latency:tool', 'mcp-usage:method']),
    );
    for (const v of vars) expect(promqlSyntaxErrors(v.selector), v.raw).toEqual([]);
    const tracking = vars.find((v) => v.variable === 'tracking_id') as { raw: string };
    expect(tracking.raw).toMatch(/^label_values\(mcp_server_client_operations_total\{.*\}, mcp_client_tracking_id\)$/);
  });

  it('negative control: malformed expressions are reported', () => {
    const broken = [
      'sum(rate(foo[5m]) by (',
      'rate(foo{a="b"}[5m]',
      'foo{a=~"b"',
      'histogram_quantile(0.95, sum by (le) (rate(x_bucket[1m]))',
      'sum by (le) rate(x[1m])',
      'rate(x[$__rate_interval])',
      '',
    ];
    for (const expr of broken) expect(promqlSyntaxErrors(expr), expr).not.toEqual([]);
    expect(promqlSyntaxErrors('histogram_quantile(0.95, sum by (le) (rate(x_bucket[1m])))')).toEqual([]);
  });

  it('negative control: lint catches wrong windows, filters, matchers, names and legends', () => {
    const ok = 'sum by (mcp_method_name) (rate(mcp_server_operation_duration_seconds_count{job=~"$job", instance=~"$instance", mcp_method_name=~"$method"}[$__rate_interval]))';
    expect(lintPromQL(ok, labels, '{{mcp_method_name}}')).toEqual([]);
    const cases: Array<[string, string, string?]> = [
      [ok.replace('$__rate_interval', '5m'), 'must use [$__rate_interval]'],
      [ok.replace('[$__rate_interval]', '[$__range]'), 'must use [$__rate_interval], got [$__range]'],
      [ok.replace('job=~"$job", ', ''), 'must filter job=~"$job"'],
      [ok.replace('instance=~"$instance"', 'instance="$instance"'), 'must filter instance'],
      [ok.replace('mcp_method_name=~"$method"', 'mcp_method_name="$method"'), 'must use =~'],
      [ok.replace('mcp_server_operation_duration_seconds_count', 'mcp_server_operation_duration_count'), 'unknown metric'],
      [ok.replace('mcp_method_name=~"$method"', 'method=~"$method"'), 'has no label method'],
      [ok.replace('by (mcp_method_name)', 'by (mcp_session_disconnect_reason)'), 'grouping label mcp_session_disconnect_reason'],
      [ok, 'legend uses {{tool}}', '{{tool}}'],
      [ok.replace('mcp_method_name=~"$method"', 'mcp_method_name=~"$nope"'), 'no value for variable $nope'],
      ['sum(rate({"mcp.server.operation.duration_seconds_count", job=~"$job", instance=~"$instance"}[$__rate_interval]))', 'UTF-8'],
      [ok.replace('(rate(', '(rate(('), 'syntax error'],
    ];
    for (const [expr, expected, legend] of cases) {
      const problems = lintPromQL(expr, labels, legend);
      expect(problems.join('\n'), expr).toContain(expected);
    }
  });
});

describe('TraceQL targets', () => {
  const queries = dashboardTraceQL();

  it('every Tempo target is TraceQL that parses with lezer-traceql', () => {
    expect(queries.map((q) => q.dashboard).sort()).toEqual(['mcp-client', 'mcp-client', 'mcp-latency']);
    for (const q of queries) {
      expect(traceqlSyntaxErrors(q.expr), `${q.dashboard} / ${q.panel}: ${q.expr}`).toEqual([]);
      expect(q.expr).not.toContain('$');
    }
  });

  it('negative control: malformed or unknown queries are reported', () => {
    for (const q of ['{ span.x = }', '{ .a = "b" ', '{ span.mcp.method.name = "tools/call" && }', '{ duration > }', '']) {
      expect(traceqlSyntaxErrors(q), q).not.toEqual([]);
    }
    expect(traceqlSyntaxErrors('{ duration > 1s } | rate() by (span.gen_ai.tool.name)')).toEqual([]);
    expect(lintTraceQL('{ span.mcp.tool.name = "x" }', [])).toEqual(['unknown span attribute span.mcp.tool.name']);
    expect(lintTraceQL('{ span.mcp.client.tracking_id = "$tracking_id" }', ['tracking_id'])).toEqual([]);
  });
});

describe('dashboard contents', () => {
  const exprs = (uid: string): string[] => targets(get(uid)).map(({ target }) => target.expr ?? target.query ?? '');
  const titles = (uid: string): string[] => allPanels(get(uid)).map((p) => p.title ?? '');

  it('every dashboard links to the others by tag, keeping time and variables', () => {
    for (const d of byUid.values()) {
      expect(d.links).toEqual([
        expect.objectContaining({ type: 'dashboards', tags: ['mcp'], keepTime: true, includeVars: true, asDropdown: true }),
      ]);
    }
  });

  it('usage: requests by method, tools, clients by type and tracking ID, sessions, errors', () => {
    const e = exprs('mcp-usage');
    expect(e).toContainEqual(expect.stringMatching(/^sum by \(mcp_method_name\) \(rate\(mcp_server_operation_duration_seconds_count\{/));
    expect(e).toContainEqual(expect.stringMatching(/topk\(10, .*sum by \(gen_ai_tool_name\)/));
    expect(e).toContainEqual(expect.stringMatching(/sum by \(mcp_client_type\) \(rate\(mcp_server_client_operations_total/));
    expect(e).toContainEqual(expect.stringMatching(/sum by \(mcp_client_tracking_id, mcp_client_type\) \(rate\(mcp_server_client_operations_total/));
    expect(e).toContainEqual(expect.stringMatching(/^sum\(mcp_server_session_active\{/));
    expect(e).toContainEqual(expect.stringMatching(/sum by \(mcp_client_returning\) \(rate\(mcp_server_session_started_total/));
    expect(e).toContainEqual(expect.stringContaining('error_type!=""'));
    expect(e).toContainEqual(expect.stringMatching(/sum by \(error_type, mcp_method_name\)/));
    const clients = allPanels(get('mcp-usage')).find((p) => p.title === 'Top clients by tracking ID') as Panel;
    expect(JSON.stringify(clients.fieldConfig)).toContain('/d/mcp-client?');
  });

  it('latency: quantiles per method and tool, heatmap, slowest tools, exemplars, Tempo search', () => {
    const d = get('mcp-latency');
    const e = exprs('mcp-latency');
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(e).toContainEqual(expect.stringContaining(`histogram_quantile(${q}, sum by (le, mcp_method_name)`));
      expect(e).toContainEqual(expect.stringContaining(`histogram_quantile(${q}, sum by (le, gen_ai_tool_name)`));
    }
    const heat = allPanels(d).find((p) => p.type === 'heatmap') as Panel;
    expect(heat.targets?.[0]).toMatchObject({ format: 'heatmap', legendFormat: '{{le}}' });
    expect(heat.targets?.[0]?.expr).toMatch(/^sum by \(le\) \(rate\(mcp_server_operation_duration_seconds_bucket\{/);
    expect(titles('mcp-latency')).toContain('Slowest tools (p95)');
    const exemplars = targets(d).filter(({ target }) => target.exemplar === true);
    expect(exemplars.length).toBeGreaterThanOrEqual(2);
    for (const { target } of exemplars) expect(target.expr).toContain('traces_spanmetrics_latency_bucket');
    // JS metrics carry no exemplars: only span-metric targets ask for them.
    for (const { target } of targets(d)) if (target.expr?.includes('mcp_server_')) expect(target.exemplar).toBe(false);
    expect(e).toContainEqual(expect.stringMatching(/^\{ span\.mcp\.method\.name = "tools\/call" && .*\(duration > 1s \|\| status = error\) \}/));
  });

  it('sessions: starts and ends, disconnect reasons, duration by client type and transport, errors, cut-off requests', () => {
    const e = exprs('mcp-sessions');
    expect(e).toContainEqual(expect.stringMatching(/^sum\(rate\(mcp_server_session_started_total\{/));
    expect(e).toContainEqual(expect.stringMatching(/^sum\(rate\(mcp_server_session_duration_seconds_count\{/));
    expect(e).toContainEqual(expect.stringMatching(/sum by \(mcp_session_disconnect_reason\)/));
    expect(e).toContainEqual(expect.stringContaining('sum by (le, mcp_client_type) (rate(mcp_server_session_duration_seconds_bucket'));
    expect(e).toContainEqual(expect.stringContaining('sum by (le, network_transport) (rate(mcp_server_session_duration_seconds_bucket'));
    expect(e).toContainEqual(expect.stringMatching(/sum by \(error_type, mcp_client_type\) \(rate\(mcp_server_session_duration_seconds_count\{.*error_type!=""/));
    expect(e).toContainEqual(expect.stringContaining('error_type=~"connection_closed|send_failed|cancelled"'));
    expect(allPanels(get('mcp-sessions')).some((p) => p.type === 'heatmap')).toBe(true);
  });

  it('client: tracking_id drill-down over client operations, span metrics with exemplars, sessions by type, traces', () => {
    const d = get('mcp-client');
    const vars = d.templating?.list ?? [];
    expect(vars.map((v) => v.name)).toEqual(['datasource', 'traces', 'job', 'instance', 'client_type', 'tracking_id']);
    expect(vars.find((v) => v.name === 'tracking_id')).toMatchObject({ multi: false, includeAll: false });
    const e = exprs('mcp-client');
    expect(e).toContainEqual(expect.stringMatching(/mcp_server_client_operations_total\{.*mcp_client_tracking_id=~"\$tracking_id"/));
    const latency = targets(d).filter(({ target }) => target.expr?.includes('traces_spanmetrics_latency_bucket'));
    expect(latency.length).toBeGreaterThanOrEqual(4);
    expect(latency.some(({ target }) => target.exemplar === true)).toBe(true);
    for (const { target } of latency) expect(target.expr).toContain('mcp_client_tracking_id=~"$tracking_id"');
    // Per-client latency exists only in Tempo span metrics: the operation histogram has no tracking ID.
    for (const x of e) if (x.includes('mcp_client_tracking_id')) expect(x).not.toContain('mcp_server_operation_duration');
    expect(e).toContainEqual(expect.stringMatching(/^\{ span\.mcp\.client\.tracking_id = "\$tracking_id" \}/));
    expect(titles('mcp-client').filter((t) => t.includes('(client type)')).length).toBeGreaterThanOrEqual(3);
  });

  it('every label variable in a query is defined on its dashboard', () => {
    for (const d of byUid.values()) {
      const names = new Set((d.templating?.list ?? []).map((v) => v.name));
      const values: Record<string, string> = { __rate_interval: '', __range: '', __interval: '' };
      for (const n of names) values[n] = '';
      for (const { target } of targets(d)) {
        expect(() => substituteVariables(target.expr ?? target.query ?? '', values), `${d.uid}: ${target.expr ?? target.query}`).not.toThrow();
      }
    }
  });
});

describe('portable datasource references (UI import and file provisioning)', () => {
  it.each(UIDS)('%s: every datasource reference is a variable of the right type; no __inputs; variables start on default', (uid) => {
    const d = get(uid);
    expect(datasourceReferenceProblems(d)).toEqual([]);
    expect(d.__inputs).toBeUndefined();
    expect(JSON.stringify(d)).not.toMatch(/\$\{DS_/);
    for (const name of ['datasource', 'traces']) {
      expect(d.templating?.list?.find((v) => v.name === name)?.current).toEqual({ selected: true, text: 'default', value: 'default' });
    }
  });

  it('negative control: fixed uids, wrong types, stray placeholders, unused inputs and fixed link values are reported', () => {
    const d = clone(get('mcp-client'));
    const prom = targets(d).filter(({ target }) => target.datasource?.type === 'prometheus');
    const tempo = targets(d).find(({ target }) => target.datasource?.type === 'tempo') as { target: Target; panel: Panel };
    (prom[0] as { target: Target }).target.datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
    (prom[1] as { target: Target }).target.datasource = { type: 'prometheus', uid: 'tempo' };
    (prom[2] as { target: Target }).target.datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
    delete (prom[3] as { target: Target }).target.datasource;
    tempo.panel.datasource = { type: 'tempo', uid: '${datasource}' };
    (d.templating?.list?.find((v) => v.name === 'datasource') as unknown as { current: unknown }).current = { text: 'Prometheus', value: 'prometheus' };
    d.annotations = { list: [{ name: 'deploys', datasource: { type: 'prometheus', uid: 'abc123' } }] };
    d.__inputs = [{ name: 'DS_TEMPO', type: 'datasource', pluginId: 'tempo' }];
    d.links = [...(d.links ?? []), { type: 'link', url: '/d/mcp-usage?var-datasource=prometheus&${traces:queryparam}' }];
    const problems = datasourceReferenceProblems(d);
    const has = (s: string) => expect(problems.some((p) => p.includes(s)), `${s} in\n${problems.join('\n')}`).toBe(true);
    has('"uid":"P1809F7CD0C75ACF3"} at $.panels');
    has('"uid":"tempo"} at $.panels');
    has('is of type tempo');
    has('"uid":"${DS_PROMETHEUS}"} at $.panels');
    has('target without datasource');
    has('"uid":"${datasource}"} at $.panels');
    has('starts on "prometheus"');
    has('"uid":"abc123"} at $.annotations');
    has('input DS_TEMPO is never used');
    has('fixed var-datasource=prometheus');
    // A documented uid of the right type, and an input that is declared and used, are fine.
    const ok = clone(get('mcp-latency'));
    const [a, b] = targets(ok).filter(({ target }) => target.datasource?.type === 'prometheus');
    (a as { target: Target }).target.datasource = { type: 'prometheus', uid: 'prometheus' };
    (b as { target: Target }).target.datasource = { type: 'prometheus', uid: '${DS_PROM}' };
    ok.__inputs = [{ name: 'DS_PROM', type: 'datasource', pluginId: 'prometheus' }];
    expect(datasourceReferenceProblems(ok)).toEqual([]);
  });
});

describe('Grafana Foundation SDK types', () => {
  it('every dashboard, panel option set and target type-checks against the SDK types', () => {
    expect(foundationSdkTypeErrors(dashboards.map(({ file, dashboard }) => ({ name: file, dashboard })))).toEqual([]);
  }, 120_000);

  it('negative control: unknown keys, wrong enum values and wrong types are reported', () => {
    const d = clone(get('mcp-usage'));
    const panel = allPanels(d).find((p) => p.type === 'timeseries') as Panel & { options: { legend: Record<string, unknown> } };
    panel.options.legend.displayMode = 'grid';
    (panel.targets?.[0] as Target).legendFromat = '{{job}}';
    const bar = allPanels(d).find((p) => p.type === 'bargauge') as Panel & { gridPos: { w: unknown } };
    bar.gridPos.w = 'wide';
    const other = clone(get('mcp-latency'));
    (other as unknown as { graphTooltip: unknown }).graphTooltip = 3;
    const errors = foundationSdkTypeErrors([
      { name: 'usage', dashboard: d },
      { name: 'latency', dashboard: other },
    ]);
    const has = (s: string) => expect(errors.some((e) => e.includes(s)), `${s} in\n${errors.join('\n')}`).toBe(true);
    has(`usage panel "${panel.title}" options: error TS2322: Type '"grid"'`);
    has(`usage panel "${panel.title}" target: error TS2353`);
    has(`'"legendFromat"' does not exist`);
    has(`usage: error TS2322: Type 'string' is not assignable to type 'number'`);
    has(`latency: error TS2322: Type '3' is not assignable`);
  }, 120_000);
});
