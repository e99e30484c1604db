/*
 * The npm tarball is what users get: pack it, unpack it into a fresh
 * directory, and check that both module systems load it, the register entry
 * points start, and the type declarations compile for ESM and CommonJS users.
 * Dependencies are linked from this repository's node_modules (no network).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');
let dir: string;

function node(args: string[], env: Record<string, string> = {}, timeout = 20_000): string {
  return execFileSync(process.execPath, args, {
    cwd: dir,
    encoding: 'utf8',
    timeout,
    env: { PATH: process.env.PATH ?? '', OTEL_SDK_DISABLED: 'true', ...env },
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mcp-otel-pack-'));
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, encoding: 'utf8' }));
  const modules = join(dir, 'node_modules');
  mkdirSync(join(modules, 'mcp-otel'), { recursive: true });
  execFileSync('tar', ['xzf', join(dir, packed[0].filename), '-C', join(modules, 'mcp-otel'), '--strip-components=1']);
  for (const entry of readdirSync(join(root, 'node_modules'))) {
    if (entry.startsWith('.') || entry === 'mcp-otel') continue;
    symlinkSync(join(root, 'node_modules', entry), join(modules, entry));
  }
  writeFileSync(join(dir, 'package.json'), '{ "name": "consumer", "private": true }\n');
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the packed package', () => {
  it('ships only the build, the dashboards and rules, docs and license', () => {
    const files = execFileSync('tar', ['tzf', readdirSync(dir).find((f) => f.endsWith('.tgz'))!], { cwd: dir, encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    expect(files).toContain('dist/cjs/index.js');
    expect(files).toContain('dist/esm/index.mjs');
    expect(files).toContain('dist/cjs/index.d.ts');
    expect(files).toContain('README.md');
    expect(files.some((f) => f.startsWith('src/') || f.startsWith('test/'))).toBe(false);
    // The generated dashboards and the rules (and grafana/README.md, which npm adds and which documents them), not
    // their generator sources, the promtool tests or the compose stack's configuration.
    expect(files.filter((f) => f.startsWith('grafana/')).sort()).toEqual([
      'grafana/README.md',
      'grafana/dashboards/mcp-client.json',
      'grafana/dashboards/mcp-latency.json',
      'grafana/dashboards/mcp-sessions.json',
      'grafana/dashboards/mcp-usage.json',
      'grafana/prometheus/kubernetes/mcp-alerts.prometheusrule.yaml',
      'grafana/prometheus/rules/mcp-alerts.yml',
    ]);
    const other = files.filter((f) => !/^(dist\/|grafana\/)/.test(f)).sort();
    expect(other).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
  });

  it('resolves the dashboards and rules through the mcp-otel/grafana/* export, from CommonJS and ESM', () => {
    const paths = ['dashboards/mcp-usage.json', 'prometheus/rules/mcp-alerts.yml', 'prometheus/kubernetes/mcp-alerts.prometheusrule.yaml'];
    writeFileSync(
      join(dir, 'assets.cjs'),
      `for (const p of ${JSON.stringify(paths)}) console.log(require.resolve('mcp-otel/grafana/' + p));\n` +
        "console.log(require('mcp-otel/grafana/dashboards/mcp-usage.json').uid);",
    );
    writeFileSync(
      join(dir, 'assets.mjs'),
      "import { fileURLToPath } from 'node:url';\n" +
        `for (const p of ${JSON.stringify(paths)}) console.log(fileURLToPath(import.meta.resolve('mcp-otel/grafana/' + p)));\n`,
    );
    const expected = paths.map((p) => join(dir, 'node_modules/mcp-otel/grafana', p));
    expect(node(['assets.cjs']).trim().split('\n')).toEqual([...expected, 'mcp-usage']);
    expect(node(['assets.mjs']).trim().split('\n')).toEqual(expected);
    // The generator sources are not shipped, so the pattern export resolves to nothing for them.
    const missing = "try { require.resolve('mcp-otel/grafana/dashboards/src/usage.ts'); console.log('found') } catch (e) { console.log(e.code) }";
    expect(node(['-e', missing]).trim()).toBe('MODULE_NOT_FOUND');
  });

  it('loads from CommonJS and ESM as one copy with the same API', () => {
    writeFileSync(join(dir, 'use.cjs'), "const m = require('mcp-otel'); console.log(typeof m.register, typeof m.McpInstrumentation);");
    writeFileSync(
      join(dir, 'use.mjs'),
      "import { register, McpInstrumentation } from 'mcp-otel'; import { createRequire } from 'node:module';\n" +
        "const cjs = createRequire(import.meta.url)('mcp-otel');\n" +
        'console.log(typeof register, typeof McpInstrumentation, McpInstrumentation === cjs.McpInstrumentation);',
    );
    expect(node(['use.cjs']).trim()).toBe('function function');
    expect(node(['use.mjs']).trim()).toBe('function function true');
  });

  it('starts through --require and --import of mcp-otel/register', () => {
    writeFileSync(join(dir, 'app.cjs'), "console.log('cjs app ran', typeof globalThis[Symbol.for('mcp-otel.register.handle')]);");
    writeFileSync(join(dir, 'app.mjs'), "console.log('esm app ran', typeof globalThis[Symbol.for('mcp-otel.register.handle')]);");
    expect(node(['--require', 'mcp-otel/register', 'app.cjs']).trim()).toBe('cjs app ran object');
    expect(node(['--import', 'mcp-otel/register', 'app.mjs']).trim()).toBe('esm app ran object');
  });

  it('type-checks for CommonJS and ESM consumers', () => {
    const source =
      "import { McpInstrumentation, register } from 'mcp-otel';\n" +
      "import type { McpInstrumentationConfig, RegisterHandle } from 'mcp-otel';\n" +
      "const config: McpInstrumentationConfig = { ignoreMethods: ['ping'], captureToolArguments: false };\n" +
      'const i: McpInstrumentation = new McpInstrumentation(config);\n' +
      'const h: RegisterHandle = register({ http: false });\n' +
      'void i; void h.shutdown();\n';
    writeFileSync(join(dir, 'consumer.cts'), source);
    writeFileSync(join(dir, 'consumer.mts'), source);
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const common = ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--types', 'node', '--typeRoots', join(root, 'node_modules/@types')];
    // tsc over the OpenTelemetry declarations takes ~10 s alone and more on a loaded 2-core machine.
    expect(() => node([tsc, ...common, 'consumer.cts', 'consumer.mts'], {}, 90_000)).not.toThrow();
  }, 120_000);
});

describe('the lock file', () => {
  it('holds one copy of each OpenTelemetry package (copies of the Logs API do not share a logger provider)', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
    const nested = Object.keys(lock.packages).filter((path) => /node_modules\/.+\/node_modules\/@opentelemetry\//.test(path));
    expect(nested).toEqual([]);
  });
});
