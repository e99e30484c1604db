/*
 * README's "Running in production", followed against the repository's own stack: every YAML snippet must be a
 * part of the file it names (so the guide and the compose stack that test/stack/stack.test.ts checks cannot drift
 * apart), the Prometheus flags must be those of the compose file's prometheus service, the Prometheus snippet
 * must pass Prometheus 3's `promtool check config` on its own, and the replica and sampling variables must do
 * what the guide says when servers are started with them under `--import mcp-otel/register`, exporting OTLP to a
 * receiver on 127.0.0.1.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';
import { promtool3Binary } from '../helpers/prometheus';
import { REPO_ROOT, startStdioChild, stopAllChildren } from '../helpers/stdio-child';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const guide = (() => {
  const start = readme.indexOf('\n## Running in production\n');
  if (start < 0) throw new Error('README has no "## Running in production" section');
  return readme.slice(start + 1, readme.indexOf('\n## ', start + 1));
})();

/** The section of the guide under `### title`. */
function subsection(title: string): string {
  const start = guide.indexOf(`\n### ${title}\n`);
  if (start < 0) throw new Error(`the production guide has no "### ${title}"`);
  const end = guide.indexOf('\n### ', start + 1);
  return guide.slice(start + 1, end < 0 ? undefined : end);
}

/** The YAML blocks announced by `<!-- A part of <file> … -->`, with the file they claim to be a part of. */
const snippets = [...guide.matchAll(/<!-- A part of (\S+) [^>]*-->\n```yaml\n([\s\S]*?)^```$/gm)].map((m) => ({ file: m[1], yaml: m[2] }));

/** Where `part` is not contained in `whole`: objects by key, everything else (arrays too) by equality. */
function notContained(part: unknown, whole: unknown, at = ''): string[] {
  if (part !== null && typeof part === 'object' && !Array.isArray(part)) {
    if (whole === null || typeof whole !== 'object' || Array.isArray(whole)) return [`${at || '/'}: not a mapping in the file`];
    return Object.entries(part).flatMap(([key, value]) =>
      key in whole ? notContained(value, (whole as Record<string, unknown>)[key], `${at}/${key}`) : [`${at}/${key}: missing in the file`],
    );
  }
  return JSON.stringify(part) === JSON.stringify(whole) ? [] : [`${at}: ${JSON.stringify(part)} in the guide, ${JSON.stringify(whole)} in the file`];
}

/** `KEY=value` lines of the first sh block of a subsection. */
function envBlock(title: string): Record<string, string> {
  const block = /```sh\n([\s\S]*?)^```$/m.exec(subsection(title))?.[1];
  if (!block) throw new Error(`no sh block under "### ${title}"`);
  return Object.fromEntries(block.trim().split('\n').map((line) => {
    const eq = line.indexOf('=');
    return [line.slice(0, eq), line.slice(eq + 1)];
  }));
}

describe("README's production guide against the repository's stack", () => {
  it('names the Collector, Prometheus and Tempo files, and each snippet is a part of its file', () => {
    expect(snippets.map((s) => s.file)).toEqual(['grafana/collector/config.yaml', 'grafana/prometheus/prometheus.yml', 'grafana/tempo/tempo.yaml']);
    for (const { file, yaml } of snippets) {
      const whole = parse(readFileSync(path.join(REPO_ROOT, file), 'utf8'));
      expect(notContained(parse(yaml), whole), file).toEqual([]);
    }
  });

  it('the containment check finds a changed value, a key the file lacks and a different list', () => {
    const whole = { a: { b: 1, list: [1, 2] } };
    expect(notContained({ a: { b: 1 } }, whole)).toEqual([]);
    expect(notContained({ a: { b: 2 } }, whole)).toHaveLength(1);
    expect(notContained({ a: { c: 1 } }, whole)).toEqual(['/a/c: missing in the file']);
    expect(notContained({ a: { list: [1] } }, whole)).toHaveLength(1);
  });

  it("asks for the flags the compose file's prometheus service runs with", () => {
    const flags = [...subsection('Prometheus 3').matchAll(/`(--[^`]+)`/g)].flatMap((m) => m[1].split(' '));
    expect(flags).toEqual(expect.arrayContaining(['--web.enable-otlp-receiver', '--web.enable-remote-write-receiver', '--enable-feature=exemplar-storage']));
    const compose = parse(readFileSync(path.join(REPO_ROOT, 'docker-compose.yml'), 'utf8'));
    expect(compose.services.prometheus.command).toEqual(expect.arrayContaining(flags));
  });

  const promtool3 = promtool3Binary();
  const promtoolReason = 'Prometheus 3 promtool not found (PROMTOOL3 or .ci/prometheus3; .ci/run fetches it)';
  it.skipIf(!promtool3 && !process.env.CI)(`the Prometheus snippet alone passes Prometheus 3's promtool check config${promtool3 ? '' : ` (skipped: ${promtoolReason})`}`, () => {
    expect(promtool3, promtoolReason).toBeDefined();
    const yaml = snippets.find((s) => s.file.endsWith('prometheus.yml'))!.yaml;
    const dir = mkdtempSync(path.join(tmpdir(), 'mcp-otel-guide-'));
    try {
      writeFileSync(path.join(dir, 'prometheus.yml'), yaml);
      const run = spawnSync(promtool3!, ['check', 'config', path.join(dir, 'prometheus.yml')], { encoding: 'utf8', timeout: 60_000 });
      expect(run.status, `${run.stdout}${run.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("README's replica and sampling variables, on servers started with --import mcp-otel/register", () => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(() => receiver.close());
  afterEach(() => stopAllChildren());

  const replicaEnv = envBlock('The same settings on every replica');
  // The guide's variables as a replica gets them; only the Collector's address is the test's receiver, and the
  // only signal not flushed at exit (logs) is switched off.
  const asReplica = (extra: Record<string, string> = {}) => ({ ...replicaEnv, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_LOGS_EXPORTER: 'none', ...extra });

  /** Starts a replica, makes `calls` tool calls as the same client every time, and stops it (SIGTERM flushes). */
  async function runReplica(env: Record<string, string>, calls = 1): Promise<string> {
    const child = await startStdioChild({ app: 'esm-app.mjs', nodeArgs: ['--import', 'mcp-otel/register'], env });
    const instance = await (async () => {
      for (let i = 0; i < calls; i++) await child.client.callTool({ name: 'echo', arguments: { text: `call ${i}` } });
      child.kill('SIGTERM');
      const exit = await child.exited;
      expect(exit.code === 0 || exit.signal === 'SIGTERM', child.stderr()).toBe(true);
      // Metrics are flushed at exit whatever the sampler decided: the process's resource comes with them.
      return receiver.metrics().find((m) => m.resource['process.pid'] === child.pid)?.resource['service.instance.id'];
    })();
    expect(typeof instance).toBe('string');
    return instance as string;
  }

  const trackingIdsOf = (instance: string) =>
    new Set(receiver.spans().filter((s) => s.resource['service.instance.id'] === instance && s.name === 'tools/call echo').map((s) => s.attributes['mcp.client.tracking_id']));

  it('two replicas sharing the secret give a client one tracking ID; another secret gives another', async () => {
    expect(replicaEnv.OTEL_INSTRUMENTATION_MCP_TRACKING_SECRET).toBeTruthy();
    const first = await runReplica(asReplica());
    const second = await runReplica(asReplica());
    const rotated = await runReplica(asReplica({ OTEL_INSTRUMENTATION_MCP_TRACKING_SECRET: 'another-secret-of-another-deployment' }));
    expect(new Set([first, second, rotated]).size).toBe(3); // three processes, three service.instance.id values
    const [a, b, c] = [first, second, rotated].map(trackingIdsOf);
    expect(a.size).toBe(1);
    expect([...a][0]).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toEqual(a);
    expect(c.size).toBe(1);
    expect([...c][0]).not.toBe([...a][0]);
    // The resource as the guide sets it: Prometheus' OTLP receiver makes job = tools/weather-mcp from it.
    const resource = receiver.spans().find((s) => s.resource['service.instance.id'] === first)!.resource;
    expect(resource).toMatchObject({ 'service.name': 'weather-mcp', 'service.namespace': 'tools', 'deployment.environment.name': 'production' });
  }, 60_000);

  it('with the sampling variables every call is counted and only a fraction of the calls is traced', async () => {
    const sampling = envBlock('Sampling');
    expect(sampling).toEqual({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' });
    const calls = 200;
    const instance = await runReplica(asReplica({ ...sampling, OTEL_SERVICE_NAME: 'sampled-mcp' }), calls);
    const traced = receiver.spans().filter((s) => s.resource['service.instance.id'] === instance && s.name === 'tools/call echo').length;
    const counted = receiver
      .latestPoints('mcp.server.operation.duration', 'sampled-mcp')
      .filter((p) => p.attributes['mcp.method.name'] === 'tools/call')
      .reduce((sum, p) => sum + (p.count ?? 0), 0);
    expect(counted).toBe(calls);
    // One in ten on average (20 of 200); outside 1..80 has a probability below 1e-9.
    expect(traced).toBeGreaterThanOrEqual(1);
    expect(traced).toBeLessThanOrEqual(80);
  }, 60_000);
});
