/*
 * A real Prometheus server for tests on a free 127.0.0.1 port, with a temporary config and TSDB directory,
 * scraping the given targets every second and evaluating the given rule files every second:
 *   - Debian's Prometheus 2.42 (`/usr/bin/prometheus`, package `prometheus`;
 *     `apt-get install -y --no-install-recommends prometheus`), the default;
 *   - Prometheus 3 (`PROMETHEUS3_BIN`, or .ci/prometheus3/usr/bin/prometheus, which .ci/run unpacks from Debian
 *     forky's `prometheus` package without installing it), see `prometheus3Binary`.
 *
 * By default a scrape renames the JS Prometheus exporter's duration histograms to the names the OTLP path produces
 * (`mcp_server_operation_duration_bucket` → `mcp_server_operation_duration_seconds_bucket`, see README), so
 * dashboards and rules written for production run unchanged. `pushedScrapeTarget` instead scrapes an exposition of
 * pushed OTLP data (./otlp-to-prometheus.ts) so that only the exposition's labels reach the TSDB.
 *
 * There is no silent skip: without the binary `startPrometheus` throws, and the test fails.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN || '/usr/bin/prometheus';

/** Where .ci/run unpacks Debian forky's prometheus and promtool packages (Prometheus 3.x), relative to the repo. */
export const PROMETHEUS3_DIR = resolve(__dirname, '..', '..', '.ci', 'prometheus3');

/** A Prometheus 3 binary: `$env_var`, else `.ci/prometheus3/usr/bin/<name>`; undefined when neither exists. */
function toolOf3(envVar: string, name: string): string | undefined {
  const fromEnv = process.env[envVar];
  if (fromEnv) return fromEnv;
  const unpacked = join(PROMETHEUS3_DIR, 'usr', 'bin', name);
  return existsSync(unpacked) ? unpacked : undefined;
}

/** Prometheus 3.x (`PROMETHEUS3_BIN` or the one .ci/run unpacks), or undefined. */
export const prometheus3Binary = (): string | undefined => toolOf3('PROMETHEUS3_BIN', 'prometheus');
/** promtool 3.x (`PROMTOOL3` or the one .ci/run unpacks), or undefined. */
export const promtool3Binary = (): string | undefined => toolOf3('PROMTOOL3', 'promtool');

/** `[major, minor]` of a prometheus or promtool binary (`--version`). */
export function binaryVersion(binary: string): [number, number] {
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new Error(`${binary} --version failed: ${r.error.message}`);
  const m = /version (\d+)\.(\d+)/.exec(`${r.stdout}${r.stderr}`);
  if (!m) throw new Error(`unexpected ${binary} --version output: ${r.stdout}${r.stderr}`);
  return [Number(m[1]), Number(m[2])];
}

/** `(mcp_.*_duration)_(bucket|sum|count)` → `${1}_seconds_${2}`: JS exporter names → OTLP-path names. */
export const DURATION_RENAME = {
  source_labels: ['__name__'],
  regex: '(mcp_.*_duration)_(bucket|sum|count)',
  target_label: '__name__',
  replacement: '${1}_seconds_${2}',
  action: 'replace',
};

export interface ScrapeTarget {
  /** Prometheus `job` label (the scrape job name). */
  job: string;
  /** host:port serving the metrics. */
  target: string;
  /** @default '/metrics' */
  metricsPath?: string;
  /** Keep the scraped `job`/`instance` labels over the target's. @default false */
  honorLabels?: boolean;
  /** Target relabelling. @default [] */
  relabelConfigs?: object[];
  /** Metric relabelling. @default [DURATION_RENAME] */
  metricRelabelConfigs?: object[];
}

/** The value `pushedScrapeTarget` gives the target's own job and instance labels, removed again from every series. */
export const TARGET_LABEL_PLACEHOLDER = '__scrape_target__';

/**
 * A scrape of an exposition of pushed OTLP data (./otlp-to-prometheus.ts) that stores the exposition's labels
 * and nothing else, as Prometheus' OTLP receiver does: `honor_labels` keeps its `job`/`instance`, and a series
 * without them does not get the target's (the target's labels are set to a placeholder, which metric relabelling
 * removes again). Without this, a series from a resource without service.instance.id would get
 * `instance="<host:port>"`.
 */
export function pushedScrapeTarget(job: string, target: string, metricsPath: string): ScrapeTarget {
  return {
    job,
    target,
    metricsPath,
    honorLabels: true,
    relabelConfigs: ['job', 'instance'].map((label) => ({ target_label: label, replacement: TARGET_LABEL_PLACEHOLDER, action: 'replace' })),
    metricRelabelConfigs: ['job', 'instance'].map((label) => ({
      source_labels: [label],
      regex: TARGET_LABEL_PLACEHOLDER,
      target_label: label,
      replacement: '',
      action: 'replace',
    })),
  };
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
  /** The Prometheus binary. @default PROMETHEUS_BIN (Debian's 2.42) */
  binary?: string;
  /** Rule files (absolute paths or globs), evaluated every `interval`. */
  ruleFiles?: string[];
  /** Scrape and evaluation interval. @default '1s' */
  interval?: string;
}

/** A sample of an instant query: labels and [time, value]. */
export interface Sample {
  metric: Record<string, string>;
  value?: [number, string];
}

export interface QueryResponse {
  status: 'success' | 'error';
  data?: { resultType: 'vector' | 'matrix' | 'scalar' | 'string'; result: Sample[] | [number, string] };
  errorType?: string;
  error?: string;
  warnings?: string[];
}

export interface PrometheusServer {
  readonly url: string;
  readonly port: number;
  /** Instant query (`/api/v1/query`); resolves with Prometheus's answer, errors included (never rejects on a 4xx). */
  query(expr: string, time?: Date): Promise<QueryResponse>;
  /** GET an API path (`/api/v1/...`) with query parameters; resolves with the parsed JSON. */
  get<T = unknown>(path: string, params?: Array<[string, string]>): Promise<T>;
  /** Waits until every scrape target is up. */
  waitForTargets(timeoutMs?: number): Promise<void>;
  /** Everything the server logged, for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Prometheus configuration (JSON is YAML, so no quoting issues with `${1}`). */
export function prometheusConfig(options: PrometheusOptions): string {
  const interval = options.interval ?? '1s';
  return JSON.stringify(
    {
      global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: options.targets.map((t) => ({
        job_name: t.job,
        static_configs: [{ targets: [t.target] }],
        ...(t.metricsPath ? { metrics_path: t.metricsPath } : {}),
        ...(t.honorLabels ? { honor_labels: true } : {}),
        ...(t.relabelConfigs?.length ? { relabel_configs: t.relabelConfigs } : {}),
        metric_relabel_configs: t.metricRelabelConfigs ?? [DURATION_RENAME],
      })),
    },
    null,
    2,
  );
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  const binary = options.binary ?? PROMETHEUS_BIN;
  // freePort() closes its probe before Prometheus binds: another process can take the port in between. Then
  // Prometheus exits with "address already in use", and a new port is tried (bounded).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPrometheusOn(binary, await freePort(), options);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error) || !/address already in use/.test(err.message)) throw err;
    }
  }
}

async function startPrometheusOn(binary: string, port: number, options: PrometheusOptions): Promise<PrometheusServer> {
  if (!existsSync(binary)) {
    throw new Error(
      `Prometheus is not installed (${binary} is missing). Install Debian's package: ` +
        `apt-get update && apt-get install -y --no-install-recommends prometheus (or set PROMETHEUS_BIN; ` +
        `for Prometheus 3 run .ci/run or set PROMETHEUS3_BIN).`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(options));
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const proc: ChildProcess = spawn(
    binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));

  const stop = async (): Promise<void> => {
    if (!gone) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const get = async <T>(path: string, params: Array<[string, string]> = []): Promise<T> => {
    const u = new URL(path, url);
    for (const [k, v] of params) u.searchParams.append(k, v);
    const res = await fetch(u);
    return (await res.json()) as T;
  };

  // Ready within 20 s, or fail with its log. Ready means this Prometheus (its config file), not whatever else
  // answers on the port.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (gone) {
      await stop();
      throw new Error(`Prometheus exited during start-up:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) {
        const flags = (await get<{ data?: Record<string, string> }>('/api/v1/status/flags')).data ?? {};
        if (flags['config.file'] === configFile) break;
        await stop();
        throw new Error(`address already in use: another server answers on ${url}`);
      }
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('address already in use')) throw err;
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Prometheus was not ready within 20 s:\n${output}`);
    }
    await delay(100);
  }

  return {
    url,
    port,
    query: (expr, time) => get<QueryResponse>('/api/v1/query', [['query', expr], ...(time ? ([['time', String(time.getTime() / 1000)]] as Array<[string, string]>) : [])]),
    get,
    async waitForTargets(timeoutMs = 15_000) {
      const until = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < until) {
        const body = await get<{ data: { activeTargets: Array<{ health: string; lastError: string; scrapeUrl: string }> } }>('/api/v1/targets');
        const targets = body.data.activeTargets;
        last = targets.map((t) => `${t.scrapeUrl}: ${t.health} ${t.lastError}`).join('; ');
        if (targets.length === options.targets.length && targets.every((t) => t.health === 'up')) return;
        await delay(250);
      }
      throw new Error(`scrape targets not up within ${timeoutMs} ms: ${last}`);
    },
    logs: () => output,
    stop,
  };
}
