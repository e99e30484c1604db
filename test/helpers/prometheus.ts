/*
 * A real Prometheus server for tests: Debian's Prometheus 2.42 (`/usr/bin/prometheus`, package `prometheus`;
 * `apt-get install -y --no-install-recommends prometheus`) on a free 127.0.0.1 port, with a temporary config and
 * TSDB directory, scraping the given targets every second and evaluating the given rule files every second.
 *
 * The scrape renames the JS Prometheus exporter's duration histograms to the names the OTLP path produces
 * (`mcp_server_operation_duration_bucket` → `mcp_server_operation_duration_seconds_bucket`, see
 * /tmp/stack-contract.md and README), so dashboards and rules written for production run unchanged.
 *
 * There is no silent skip: without the binary `startPrometheus` throws, and the test fails.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN || '/usr/bin/prometheus';

/** `(mcp_.*_duration)_(bucket|sum|count)` → `${1}_seconds_${2}`: JS exporter names → OTLP-path names. */
export const DURATION_RENAME = {
  source_labels: ['__name__'],
  regex: '(mcp_.*_duration)_(bucket|sum|count)',
  target_label: '__name__',
  replacement: '${1}_seconds_${2}',
  action: 'replace',
};

export interface ScrapeTarget {
  /** Prometheus `job` label. */
  job: string;
  /** host:port serving /metrics. */
  target: string;
}

export interface PrometheusOptions {
  targets: ScrapeTarget[];
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
      scrape_configs: options.targets.map(({ job, target }) => ({
        job_name: job,
        static_configs: [{ targets: [target] }],
        metric_relabel_configs: [DURATION_RENAME],
      })),
    },
    null,
    2,
  );
}

export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusServer> {
  if (!existsSync(PROMETHEUS_BIN)) {
    throw new Error(
      `Prometheus is not installed (${PROMETHEUS_BIN} is missing). Install Debian's package: ` +
        `apt-get update && apt-get install -y --no-install-recommends prometheus (or set PROMETHEUS_BIN).`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  writeFileSync(configFile, prometheusConfig(options));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const proc: ChildProcess = spawn(
    PROMETHEUS_BIN,
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

  // Ready within 20 s, or fail with its log.
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (gone) {
      await stop();
      throw new Error(`Prometheus exited during start-up:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {
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
