/*
 * The observability stack (docker-compose.yml and grafana/<component>/) without Docker: promtool checks and unit-tests
 * the alert and recording rules and the Prometheus configuration, dclint validates the compose file against the
 * compose schema, and the YAML/JSON files are cross-checked (datasource uids, dashboard provisioning path, image
 * pins, ports, wiring between Collector, Tempo and Prometheus).
 *
 * The rules are checked and unit-tested with two promtools: Debian bookworm's 2.42 (`promtool` on PATH, package
 * `prometheus`; .ci/run installs it) and Prometheus 3.x (`PROMTOOL3`, or .ci/prometheus3/usr/bin/promtool, which
 * .ci/run unpacks from Debian forky's `promtool` package, 3.5): 3.0 changed PromQL (left-open range selectors,
 * normalised `le`/`quantile` values), and the compose stack runs 3.x. Both are required: without promtool 2 these
 * tests fail; without promtool 3 they fail in CI (CI=true) and are reported as skipped, with the reason, elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix, relative, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { promtool3Binary } from '../helpers/prometheus';

const ROOT = join(__dirname, '..', '..');
const RULES = join(ROOT, 'grafana/prometheus/rules/mcp-alerts.yml');
const RULE_TESTS = join(ROOT, 'grafana/prometheus/tests/mcp-alerts.test.yml');
const PROMETHEUS_CONFIG = join(ROOT, 'grafana/prometheus/prometheus.yml');
const COMPOSE = join(ROOT, 'docker-compose.yml');
const DASHBOARDS = join(ROOT, 'grafana/dashboards');
const DATASOURCES = join(ROOT, 'grafana/grafana/provisioning/datasources/datasources.yaml');
const DASHBOARD_PROVIDERS = join(ROOT, 'grafana/grafana/provisioning/dashboards/dashboards.yaml');

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const tmp = mkdtempSync(join(tmpdir(), 'mcp-otel-stack-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const readYaml = (file: string): Json => parse(readFileSync(file, 'utf8'), { uniqueKeys: true }) as Json;

function run(cmd: string, args: string[], timeout = 110_000) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
}

interface Promtool {
  /** Shown in the test names. */
  name: string;
  /** The binary, or undefined when it is not available. */
  bin: string | undefined;
  /** The major version it must have. */
  major: number;
  /** Why it is missing and how to get it. */
  missing: string;
}

const PROMTOOL2: Promtool = {
  name: 'promtool 2.x (Debian bookworm)',
  bin: 'promtool',
  major: 2,
  missing:
    'promtool is not installed: install Debian\'s "prometheus" package ' +
    '(apt-get install -y --no-install-recommends prometheus); .ci/run does this in CI.',
};
const PROMTOOL3: Promtool = {
  name: 'promtool 3.x (Debian forky)',
  bin: promtool3Binary(),
  major: 3,
  missing:
    'promtool 3 is not available: set PROMTOOL3 to a promtool 3.x, or run .ci/run, which unpacks Debian forky\'s ' +
    'promtool package into .ci/prometheus3/ without installing it.',
};
const IN_CI = /^(1|true)$/i.test(process.env.CI ?? '');

/** Runs a promtool; throws a clear error when it is not available (nothing is skipped silently). */
function promtoolOf(tool: Promtool, ...args: string[]) {
  if (!tool.bin) throw new Error(tool.missing);
  const r = run(tool.bin, args);
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(tool.missing);
  if (r.error) throw r.error;
  return r;
}

function versionOf(tool: Promtool): [number, number] {
  const { out } = promtoolOf(tool, '--version');
  const m = /promtool, version (\d+)\.(\d+)/.exec(out);
  if (!m) throw new Error(`unexpected promtool --version output: ${out}`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * `describe` for the tests of one promtool. A missing promtool 3 fails every test in CI (with `missing` as the
 * error) and is reported as skipped, with the reason in the name, elsewhere.
 */
function describePromtool(tool: Promtool, title: string, body: (tool: Promtool) => void): void {
  const skip = !tool.bin && !IN_CI;
  describe.skipIf(skip)(`${title}: ${tool.name}${skip ? ` (skipped: ${tool.missing})` : ''}`, () => body(tool));
}

function dclint(...args: string[]) {
  return run(process.execPath, [join(ROOT, 'node_modules/dclint/bin/dclint.cjs'), ...args]);
}

const rulesFile = readYaml(RULES);
const ruleTests = readYaml(RULE_TESTS);
const compose = readYaml(COMPOSE);
const allRules: Json[] = rulesFile.groups.flatMap((g: Json) => g.rules);
const alertRules = allRules.filter((r) => r.alert);
const recordingRules = allRules.filter((r) => r.record);

/** Short-syntax compose volume "src:dst[:mode]". */
function volumes(service: string): Array<{ source: string; target: string; mode?: string }> {
  return (compose.services[service].volumes ?? []).map((v: string) => {
    const [source, target, mode] = v.split(':');
    return { source, target, mode };
  });
}

/** The container path where a host path (relative to the repo) is mounted in a service. */
function mountTarget(service: string, hostPath: string): string | undefined {
  const want = resolve(ROOT, hostPath);
  const bind = volumes(service).find((v) => v.source.startsWith('.') && resolve(ROOT, v.source) === want);
  return bind?.target;
}

/** Maps a container path back to the host through a service's bind mounts. */
function hostPathOf(service: string, containerPath: string): string | undefined {
  for (const v of volumes(service)) {
    if (!v.source.startsWith('.')) continue;
    if (containerPath === v.target || containerPath.startsWith(`${v.target}/`)) {
      return join(resolve(ROOT, v.source), containerPath.slice(v.target.length));
    }
  }
  return undefined;
}

const globMatches = (pattern: string, file: string): boolean =>
  dirname(pattern) === dirname(file) &&
  new RegExp(`^${basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`).test(basename(file));

for (const tool of [PROMTOOL2, PROMTOOL3]) describePromtool(tool, 'alert and recording rules', (tool) => {
  const promtool = (...args: string[]) => promtoolOf(tool, ...args);

  it('promtool is installed', () => {
    const [major, minor] = versionOf(tool);
    expect(major).toBe(tool.major);
    if (major === 2) expect(minor).toBeGreaterThanOrEqual(42);
  });

  it('promtool check rules accepts every rule', () => {
    const r = promtool('check', 'rules', RULES);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain(`SUCCESS: ${allRules.length} rules found`);
    expect(allRules.length).toBe(alertRules.length + recordingRules.length);
  });

  it('promtool test rules passes', () => {
    const r = promtool('test', 'rules', RULE_TESTS);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  }, 120_000);

  it('changing the objective changes which burn-rate alerts fire', () => {
    // With 99 % instead of 99.9 % the unit tests' expectations no longer hold.
    const dir = join(tmp, `objective-${tool.major}`);
    mkdirSync(join(dir, 'rules'), { recursive: true });
    mkdirSync(join(dir, 'tests'), { recursive: true });
    writeFileSync(join(dir, 'rules/mcp-alerts.yml'), readFileSync(RULES, 'utf8').replace('expr: vector(0.999)', 'expr: vector(0.99)'));
    cpSync(RULE_TESTS, join(dir, 'tests/mcp-alerts.test.yml'));
    const r = promtool('test', 'rules', join(dir, 'tests/mcp-alerts.test.yml'));
    expect(r.status, r.out).toBe(1);
    expect(r.out).toContain('name: error budget burn, fast,');
    expect(r.out).toContain('name: error budget burn, slow,');
    expect(r.out).toContain('alertname: MCPServerErrorBudgetBurn');
    expect(r.out).toContain('expr: "mcp:objective:ratio"');
    expect(r.out).not.toContain('MCPServerToolLatencyHigh');
  }, 120_000);

  it('promtool test rules fails on a wrong expectation', () => {
    const dir = join(tmp, `wrong-${tool.major}`);
    mkdirSync(join(dir, 'tests'), { recursive: true });
    const tests = readFileSync(RULE_TESTS, 'utf8');
    const wrong = tests.replace('summary: MCP tool slow_tool on mcp/demo is slow.', 'summary: MCP tool slow_tool on mcp/demo is fast.');
    expect(wrong).not.toBe(tests);
    const ruleFiles = /^rule_files:\n {2}- \.\.\/rules\/mcp-alerts\.yml$/m;
    expect(wrong).toMatch(ruleFiles);
    writeFileSync(join(dir, 'tests/t.yml'), wrong.replace(ruleFiles, `rule_files:\n  - ${JSON.stringify(RULES)}`));
    const r = promtool('test', 'rules', join(dir, 'tests/t.yml'));
    expect(r.status, r.out).toBe(1);
    // Only the changed expectation fails.
    expect(r.out).toContain('name: tool latency,');
    expect(r.out).toContain('alertname: MCPServerToolLatencyHigh, time: 20m');
    expect(r.out.match(/ name: /g), r.out).toHaveLength(1);
  }, 120_000);
});

describe('alert and recording rules', () => {
  it('the unit tests show every alert firing and not firing, and test every recording rule', () => {
    const groups = ruleTests.tests as Json[];
    const alertTests = groups.flatMap((g) => (g.alert_rule_test ?? []) as Json[]);
    const exprTests = groups.flatMap((g) => (g.promql_expr_test ?? []) as Json[]);
    for (const rule of alertRules) {
      const mine = alertTests.filter((t) => t.alertname === rule.alert);
      expect(mine.some((t) => (t.exp_alerts ?? []).length === 0), `${rule.alert}: no test where it does not fire`).toBe(true);
      // Firing, with exactly this rule's labels (the burn-rate alerts share a name and differ in labels).
      const fired = mine.flatMap((t) => (t.exp_alerts ?? []) as Json[]);
      const matches = fired.filter((a) => Object.entries(rule.labels as Json).every(([k, v]) => a.exp_labels?.[k] === v));
      expect(matches.length, `${rule.alert} ${JSON.stringify(rule.labels)}: no test where it fires`).toBeGreaterThan(0);
      for (const a of matches) {
        expect(Object.keys(a.exp_annotations ?? {}).sort(), `${rule.alert}: annotations not asserted`).toEqual(['description', 'summary']);
      }
    }
    for (const rule of recordingRules) {
      const name = new RegExp(`(^|[^a-zA-Z0-9_:])${rule.record.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}($|[^a-zA-Z0-9_:])`);
      expect(exprTests.some((t) => name.test(t.expr)), `recording rule ${rule.record} has no promql_expr_test`).toBe(true);
    }
  });

  it('every alert follows the mixin conventions', () => {
    expect(alertRules.length).toBeGreaterThanOrEqual(5);
    const names = new Set(alertRules.map((r) => r.alert));
    for (const name of [
      'MCPServerErrorBudgetBurn',
      'MCPServerToolLatencyHigh',
      'MCPServerSessionEndSpike',
      'MCPServerTelemetryAbsent',
      'MCPServerToolErrorsHigh',
    ]) {
      expect(names.has(name), name).toBe(true);
    }
    for (const rule of alertRules) {
      expect(rule.alert).toMatch(/^MCPServer[A-Z][A-Za-z]+$/);
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      expect(rule.for, `${rule.alert} has no 'for'`).toMatch(/^\d+[smhd]$/);
      expect(rule.annotations?.summary, rule.alert).toMatch(/\{\{ \$labels\.job \}\}.*\.$/);
      expect(rule.annotations?.description, rule.alert).toContain('{{ $labels.job }}');
    }
    expect(rulesFile.groups.map((g: Json) => g.name)).toEqual(['mcp-server.rules', 'mcp-server.alerts']);
  });

  it('the burn-rate alerts follow the objective set in one place', () => {
    const objective = recordingRules.filter((r) => r.record === 'mcp:objective:ratio');
    expect(objective).toHaveLength(1);
    expect(objective[0].expr.trim()).toBe('vector(0.999)');
    const burn = alertRules.filter((r) => r.alert === 'MCPServerErrorBudgetBurn');
    expect(burn.map((r) => `${r.labels.long}/${r.labels.short}/${r.labels.severity}`)).toEqual([
      '1h/5m/critical',
      '6h/30m/critical',
      '1d/2h/warning',
      '3d/6h/warning',
    ]);
    for (const [rule, factor] of burn.map((r, i) => [r, ['14.4', '6', '3', '1'][i]] as const)) {
      expect(rule.expr.match(new RegExp(`\\(${factor.replace('.', '\\.')} \\* \\(1 - mcp:objective:ratio\\)\\)`, 'g'))).toHaveLength(2);
      expect(rule.expr).toContain(`ratio_rate${rule.labels.long}`);
      expect(rule.expr).toContain(`ratio_rate${rule.labels.short}`);
    }

  });
});

describe('Prometheus configuration', () => {
  const config = readYaml(PROMETHEUS_CONFIG);

  for (const tool of [PROMTOOL2, PROMTOOL3]) {
    const skip = !tool.bin && !IN_CI;
    const title = `${tool.name}: promtool check config accepts it (the Prometheus 3 \`otlp\` block aside on promtool 2.x)`;
    it.skipIf(skip)(`${title}${skip ? ` (skipped: ${tool.missing})` : ''}`, () => {
      const promtool = (...args: string[]) => promtoolOf(tool, ...args);
      const [major] = versionOf(tool);
      expect(major).toBe(tool.major);
      // Rule files are given as container paths; point them at the repository through the compose mounts.
      const copy = structuredClone(config);
      copy.rule_files = (config.rule_files as string[]).map((p) => {
        const host = hostPathOf('prometheus', p);
        expect(host, `rule_files ${p} is not under a bind mount of the prometheus service`).toBeDefined();
        return host;
      });
      if (major < 3) {
        // Debian's promtool 2.42 rejects the OTLP receiver settings (Prometheus >= 3.0) — checked structurally below.
        const full = promtool('check', 'config', PROMETHEUS_CONFIG);
        expect(full.status).toBe(1);
        expect(full.out).toContain('field otlp not found');
        delete copy.otlp;
      } else {
        expect(copy.otlp, 'the otlp block is checked by promtool 3').toBeDefined();
      }
      const file = join(tmp, `prometheus-${major}.yml`);
      writeFileSync(file, stringify(copy));
      const r = promtool('check', 'config', file);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toMatch(/SUCCESS: [1-9]\d* rule files found/);
      expect(r.out).toContain(`Checking ${RULES}`);
      expect(r.out).toContain(`SUCCESS: ${allRules.length} rules found`);
    });
  }

  it('the rule_files glob matches the mounted rules', () => {
    const matched = (config.rule_files as string[]).some((p) => {
      const host = hostPathOf('prometheus', p);
      return host !== undefined && globMatches(host, RULES);
    });
    expect(matched).toBe(true);
  });

  it('OTLP ingestion keeps service attributes and accepts late samples', () => {
    expect(config.otlp.keep_identifying_resource_attributes).toBe(true);
    expect(config.otlp.promote_resource_attributes).toEqual(
      expect.arrayContaining(['service.name', 'service.namespace', 'service.instance.id', 'service.version']),
    );
    // Default translation: the names the rules and dashboards use (no UTF-8 names, which promtool 2.42 cannot parse).
    expect(config.otlp.translation_strategy ?? 'UnderscoreEscapingWithSuffixes').toBe('UnderscoreEscapingWithSuffixes');
    expect(config.storage.tsdb.out_of_order_time_window).toMatch(/^\d+[mh]$/);
  });
});

describe('docker-compose.yml', () => {
  const services = compose.services as Record<string, Json>;

  it('is valid against the compose schema and clean under .dclintrc (dclint)', () => {
    const r = dclint('-c', '.dclintrc', '-f', 'json', 'docker-compose.yml');
    expect(r.status, r.out).toBe(0);
    const [report] = JSON.parse(r.out.slice(r.out.indexOf('['))) as Json[];
    expect(report.messages, JSON.stringify(report.messages, null, 2)).toEqual([]);
    expect(report.errorCount).toBe(0);
    expect(report.warningCount).toBe(0);
  }, 60_000);

  it('dclint rejects a compose file that breaks the schema, whatever .dclintrc relaxes', () => {
    const broken = readFileSync(COMPOSE, 'utf8').replace(/^ {4}ports:/m, '    portz:');
    expect(broken).not.toBe(readFileSync(COMPOSE, 'utf8'));
    const file = join(tmp, 'docker-compose.yml');
    writeFileSync(file, broken);
    const r = dclint('-c', '.dclintrc', '-f', 'json', file);
    expect(r.status).toBe(1);
    const [report] = JSON.parse(r.out.slice(r.out.indexOf('['))) as Json[];
    expect(report.messages.map((m: Json) => m.rule)).toContain('invalid-schema');
    expect(report.messages.find((m: Json) => m.rule === 'invalid-schema').message).toContain('must NOT have additional properties');
  }, 60_000);

  it('runs the whole stack', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['grafana', 'load-generator', 'mcp-server', 'otel-collector', 'prometheus', 'tempo'].sort(),
    );
  });

  it('pins every image to a version tag', () => {
    for (const [name, service] of Object.entries(services)) {
      const image = service.image as string;
      expect(image, `${name} has no image`).toBeTruthy();
      const m = /^([^:@]+):([^:@/]+)$/.exec(image);
      expect(m, `${name}: image ${image} has no tag`).not.toBeNull();
      const tag = m![2];
      expect(tag, `${name}: ${image}`).not.toMatch(/^(latest|stable|main|master|edge|nightly)$/);
      expect(tag, `${name}: ${image} is not a version`).toMatch(/\d/);
    }
    // Prometheus' OTLP receiver (--web.enable-otlp-receiver) exists from 3.0 on.
    expect(Number(/:v?(\d+)\./.exec(services.prometheus.image)![1])).toBeGreaterThanOrEqual(3);
  });

  it('publishes ports on 127.0.0.1 only', () => {
    let published = 0;
    for (const [name, service] of Object.entries(services)) {
      for (const port of (service.ports ?? []) as unknown[]) {
        published++;
        expect(typeof port, `${name}: use the short "127.0.0.1:host:container" syntax`).toBe('string');
        expect(port as string, `${name}: ${port}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      }
    }
    expect(published).toBeGreaterThanOrEqual(5);
  });

  it('requires a Grafana admin password from the environment and keeps anonymous access off by default', () => {
    const env = services.grafana.environment as Json;
    expect(env.GF_SECURITY_ADMIN_PASSWORD).toBe('${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD}');
    expect(String(env.GF_AUTH_ANONYMOUS_ENABLED)).toMatch(/^(false|\$\{[A-Z_]+:-false\})$/);
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE ?? 'Viewer').toBe('Viewer');
    for (const service of Object.values(services)) {
      const all = JSON.stringify(service.environment ?? {});
      expect(all).not.toMatch(/GF_AUTH_DISABLE_LOGIN_FORM|GF_AUTH_BASIC_ENABLED":"false/);
    }
  });

  it('mounts only files and directories that exist', () => {
    let binds = 0;
    for (const name of Object.keys(services)) {
      for (const v of volumes(name)) {
        if (!v.source.startsWith('.')) {
          expect(compose.volumes, `${name}: named volume ${v.source} is not declared`).toHaveProperty(v.source);
          continue;
        }
        binds++;
        expect(existsSync(resolve(ROOT, v.source)), `${name}: ${v.source} does not exist`).toBe(true);
      }
    }
    expect(binds).toBeGreaterThanOrEqual(7);
  });

  it('runs the example server under mcp-otel/register and points the load generator at it', () => {
    const server = services['mcp-server'];
    const load = services['load-generator'];
    for (const s of [server, load]) {
      expect(s.image).toBe('node:20-bookworm-slim');
      expect(s.working_dir).toBe('/app');
      expect(mountTarget(s === server ? 'mcp-server' : 'load-generator', '.')).toBe('/app');
    }
    expect(server.command.join(' ')).toMatch(/npm ci .*&& exec node --import mcp-otel\/register examples\/server\.mjs$/);
    expect(load.command).toEqual(['node', 'examples/load.mjs']);
    expect(existsSync(join(ROOT, 'examples/server.mjs'))).toBe(true);
    expect(existsSync(join(ROOT, 'examples/load.mjs'))).toBe(true);
    expect(server.environment).toMatchObject({
      OTEL_SERVICE_NAME: 'mcp-demo-server',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector:4318',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
      PORT: '3000',
    });
    expect(load.environment.MCP_URL).toBe(`http://mcp-server:${server.environment.PORT}/mcp`);
    expect(load.depends_on['mcp-server'].condition).toBe('service_healthy');
  });
});

describe('wiring between Collector, Tempo and Prometheus', () => {
  const services = compose.services as Record<string, Json>;
  const collectorPath = '--config=/etc/otelcol-contrib/config.yaml';
  const collector = readYaml(join(ROOT, 'grafana/collector/config.yaml'));
  const tempo = readYaml(join(ROOT, 'grafana/tempo/tempo.yaml'));
  const promArgs = services.prometheus.command as string[];

  it('each component reads the config file from grafana/<component>/', () => {
    expect(services['otel-collector'].command).toContain(collectorPath);
    expect(mountTarget('otel-collector', 'grafana/collector/config.yaml')).toBe(collectorPath.split('=')[1]);
    const tempoConfig = (services.tempo.command as string[]).find((a) => a.startsWith('-config.file='))!.split('=')[1];
    expect(mountTarget('tempo', 'grafana/tempo/tempo.yaml')).toBe(tempoConfig);
    const promConfig = promArgs.find((a) => a.startsWith('--config.file='))!.split('=')[1];
    expect(mountTarget('prometheus', 'grafana/prometheus/prometheus.yml')).toBe(promConfig);
    expect(promArgs).toEqual(expect.arrayContaining(['--storage.tsdb.path=/prometheus']));
    expect(promArgs.some((a) => /^--storage\.tsdb\.retention\.time=\d+[dhwy]$/.test(a))).toBe(true);
  });

  it('the Collector pipelines use defined components, memory_limiter first', () => {
    const pipelines = collector.service.pipelines as Record<string, Json>;
    expect(Object.keys(pipelines).sort()).toEqual(['logs', 'metrics', 'traces']);
    for (const [name, p] of Object.entries(pipelines)) {
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const id of p[kind] as string[]) expect(collector[kind], `${name}: ${kind} ${id}`).toHaveProperty([id]);
      }
      expect(p.processors[0], name).toBe('memory_limiter');
    }
    expect(collector.receivers.otlp.protocols.grpc.endpoint).toBe('0.0.0.0:4317');
    expect(collector.receivers.otlp.protocols.http.endpoint).toBe('0.0.0.0:4318');
  });

  it('metrics go to the Prometheus OTLP receiver, traces to Tempo, span metrics back to Prometheus', () => {
    const metricsExporter = collector.exporters[collector.service.pipelines.metrics.exporters[0]];
    expect(collector.service.pipelines.metrics.exporters[0]).toMatch(/^otlp_http\//);
    expect(metricsExporter.endpoint).toBe('http://prometheus:9090/api/v1/otlp');
    expect(promArgs).toContain('--web.enable-otlp-receiver');

    const tracesExporter = collector.exporters[collector.service.pipelines.traces.exporters[0]];
    expect(tracesExporter.endpoint).toBe('tempo:4317');
    expect(tempo.distributor.receivers.otlp.protocols.grpc.endpoint).toMatch(/:4317$/);

    const [remoteWrite] = tempo.metrics_generator.storage.remote_write as Json[];
    expect(remoteWrite.url).toBe('http://prometheus:9090/api/v1/write');
    expect(remoteWrite.send_exemplars).toBe(true);
    expect(promArgs).toEqual(expect.arrayContaining(['--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage']));
    expect(tempo.overrides.defaults.metrics_generator.processors).toEqual(['span-metrics', 'service-graphs']);
  });

  it('Tempo span metrics carry the MCP dimensions', () => {
    expect(tempo.metrics_generator.processor.span_metrics.dimensions).toEqual(
      expect.arrayContaining(['mcp.method.name', 'gen_ai.tool.name', 'mcp.client.type', 'mcp.client.tracking_id', 'error.type']),
    );
  });

  it('Tempo bounds the series that the uncapped tracking id can create', () => {
    const limits = tempo.overrides.defaults.metrics_generator;
    expect(limits.max_cardinality_per_label).toBeGreaterThan(0);
    expect(limits.max_cardinality_per_label).toBeLessThanOrEqual(10_000);
    expect(limits.max_active_series).toBeGreaterThan(0);
  });
});

describe('Grafana provisioning and dashboards', () => {
  it('every YAML file under grafana/ parses', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        if (entry === 'node_modules') continue;
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(entry)) files.push(path);
      }
    };
    walk(join(ROOT, 'grafana'));
    expect(files.map((f) => relative(ROOT, f)).sort()).toEqual(
      expect.arrayContaining([
        'grafana/collector/config.yaml',
        'grafana/grafana/provisioning/dashboards/dashboards.yaml',
        'grafana/grafana/provisioning/datasources/datasources.yaml',
        'grafana/prometheus/prometheus.yml',
        'grafana/prometheus/rules/mcp-alerts.yml',
        'grafana/prometheus/tests/mcp-alerts.test.yml',
        'grafana/tempo/tempo.yaml',
      ]),
    );
    for (const file of files) {
      const docs = parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true, prettyErrors: true });
      const list = Array.isArray(docs) ? docs : [docs];
      for (const doc of list) {
        expect(doc.errors.map(String), relative(ROOT, file)).toEqual([]);
        expect(doc.toJS(), relative(ROOT, file)).toBeTypeOf('object');
      }
    }
  });

  it('the datasources have the fixed uids and link exemplars, traces and metrics', () => {
    const ds = readYaml(DATASOURCES).datasources as Json[];
    const byUid = new Map(ds.map((d) => [d.uid, d]));
    expect([...byUid.keys()].sort()).toEqual(['prometheus', 'tempo']);
    const prom = byUid.get('prometheus')!;
    const tempo = byUid.get('tempo')!;
    expect(prom.type).toBe('prometheus');
    expect(tempo.type).toBe('tempo');
    expect(prom.url).toBe('http://prometheus:9090');
    expect(tempo.url).toBe(`http://tempo:${readYaml(join(ROOT, 'grafana/tempo/tempo.yaml')).server.http_listen_port}`);

    const exemplars = prom.jsonData.exemplarTraceIdDestinations as Json[];
    expect(exemplars.map((e) => e.name).sort()).toEqual(['traceID', 'trace_id']);
    for (const e of exemplars) expect(e.datasourceUid).toBe('tempo');

    const t2m = tempo.jsonData.tracesToMetrics;
    expect(t2m.datasourceUid).toBe('prometheus');
    expect(t2m.tags).toEqual(
      expect.arrayContaining([
        { key: 'mcp.method.name', value: 'mcp_method_name' },
        { key: 'gen_ai.tool.name', value: 'gen_ai_tool_name' },
      ]),
    );
    expect(t2m.queries.length).toBeGreaterThan(0);
    for (const q of t2m.queries as Json[]) {
      // `$$` is a literal `$` in provisioning files; a bare `$__tags` would be expanded as an environment variable.
      expect(q.query).toContain('{$$__tags}');
      expect(q.query.replace(/\$\$/g, '')).not.toContain('$');
    }
    expect(tempo.jsonData.serviceMap.datasourceUid).toBe('prometheus');
    expect(tempo.jsonData.nodeGraph.enabled).toBe(true);
  });

  it('the dashboard provider reads the directory compose mounts, into the folder "MCP"', () => {
    expect(mountTarget('grafana', 'grafana/grafana/provisioning')).toBe('/etc/grafana/provisioning');
    const providers = readYaml(DASHBOARD_PROVIDERS).providers as Json[];
    expect(providers).toHaveLength(1);
    const [provider] = providers;
    expect(provider.type).toBe('file');
    expect(provider.folder).toBe('MCP');
    const target = mountTarget('grafana', 'grafana/dashboards');
    expect(target, 'grafana/dashboards is not mounted into the grafana service').toBeDefined();
    expect(posix.normalize(provider.options.path)).toBe(posix.normalize(target!));
  });

  it('every dashboard uses only the provisioned datasources or the ${datasource}/${traces} variables', () => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir)) {
        const path = join(dir, entry);
        if (statSync(path).isDirectory()) walk(path);
        else if (entry.endsWith('.json')) files.push(path);
      }
    };
    walk(DASHBOARDS);
    // Grafana's file provider loads every *.json below the mounted directory; there must be dashboards.
    expect(files.length, 'no dashboard JSON in grafana/dashboards').toBeGreaterThan(0);

    const uids = new Set((readYaml(DATASOURCES).datasources as Json[]).map((d) => d.uid as string));
    const variables: Record<string, string> = { datasource: 'prometheus', traces: 'tempo' };
    const builtIn = new Set(['-- Grafana --', 'grafana', '-- Mixed --', '-- Dashboard --']);
    for (const file of files) {
      const name = relative(ROOT, file);
      const dashboard = JSON.parse(readFileSync(file, 'utf8')) as Json;
      expect(dashboard.uid, `${name}: no uid`).toBeTruthy();
      expect(dashboard.title, `${name}: no title`).toBeTruthy();
      const defined = new Map(
        ((dashboard.templating?.list ?? []) as Json[]).filter((v) => v.type === 'datasource').map((v) => [v.name, v.query]),
      );
      const refs: Array<{ uid: string; type?: string; at: string }> = [];
      const visit = (value: unknown, at: string): void => {
        if (Array.isArray(value)) return value.forEach((v, i) => visit(v, `${at}[${i}]`));
        if (!value || typeof value !== 'object') return;
        for (const [k, v] of Object.entries(value)) {
          if (k === 'datasource' && v !== null) {
            if (typeof v === 'string') refs.push({ uid: v, at: `${at}.${k}` });
            else if (typeof v === 'object' && 'uid' in (v as Json)) refs.push({ uid: (v as Json).uid, type: (v as Json).type, at: `${at}.${k}` });
          }
          visit(v, `${at}.${k}`);
        }
      };
      visit(dashboard, '$');
      expect(refs.length, `${name}: no datasource references`).toBeGreaterThan(0);
      for (const ref of refs) {
        const variable = /^\$\{?(\w+)\}?$/.exec(ref.uid)?.[1];
        if (variable) {
          expect(Object.keys(variables), `${name} ${ref.at}: unknown variable ${ref.uid}`).toContain(variable);
          expect(defined.get(variable), `${name} ${ref.at}: variable ${variable} is not a ${variables[variable]} datasource variable`).toBe(
            variables[variable],
          );
          if (ref.type) expect(ref.type, `${name} ${ref.at}`).toBe(variables[variable]);
        } else if (!builtIn.has(ref.uid)) {
          expect([...uids], `${name} ${ref.at}: datasource uid ${ref.uid} is not provisioned`).toContain(ref.uid);
        }
      }
    }
  });

  it('Grafana has no persistent state that would keep an old admin password', () => {
    expect(volumes('grafana').every((v) => v.source.startsWith('.') && v.mode === 'ro')).toBe(true);
  });
});
