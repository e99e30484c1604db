// Generates the Grafana dashboards from grafana/dashboards/src/*.ts (Grafana Foundation SDK):
// compiles the generator with tsc into a temporary directory, runs it and writes
// grafana/dashboards/<uid>.json (keys sorted, 2-space indent, trailing newline).
//
//   node scripts/gen-dashboards.mjs            # write grafana/dashboards/*.json (npm run dashboards)
//   node scripts/gen-dashboards.mjs --out DIR  # write into DIR instead (used by test/stack/dashboards.test.ts)
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function parseArgs(argv) {
  let out = join(root, 'grafana', 'dashboards');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (usage: gen-dashboards.mjs [--out DIR])`);
  }
  return { out };
}

/** Recursively sorts object keys so the output does not depend on builder call order. */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted = {};
    for (const key of Object.keys(value).sort()) sorted[key] = sortKeys(value[key]);
    return sorted;
  }
  return value;
}

/** Deterministic JSON: functions/undefined dropped (as JSON.stringify does), keys sorted, 2 spaces, final newline. */
export function stableJson(value) {
  return `${JSON.stringify(sortKeys(JSON.parse(JSON.stringify(value))), null, 2)}\n`;
}

function main() {
  const { out } = parseArgs(process.argv.slice(2));
  // Inside node_modules so that the compiled files resolve the SDK from the project.
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const build = mkdtempSync(join(cache, 'mcp-otel-dashboards-'));
  try {
    const tsc = require.resolve('typescript/bin/tsc');
    const compiled = spawnSync(
      process.execPath,
      [tsc, '-p', join(root, 'scripts', 'tsconfig.dashboards.json'), '--outDir', build],
      { stdio: 'inherit' },
    );
    if (compiled.status !== 0) throw new Error(`tsc failed (exit ${compiled.status ?? compiled.signal})`);
    const { dashboards } = require(join(build, 'index.js'));
    mkdirSync(out, { recursive: true });
    const written = new Set();
    for (const { uid, build: make } of dashboards) {
      const dashboard = make();
      if (dashboard.uid !== uid) throw new Error(`dashboard ${uid} built with uid ${dashboard.uid}`);
      if (written.has(uid)) throw new Error(`duplicate dashboard uid ${uid}`);
      const file = `${uid}.json`;
      writeFileSync(join(out, file), stableJson(dashboard));
      written.add(uid);
      console.log(`wrote ${join(out, file)} (${dashboard.panels?.length ?? 0} panels)`);
    }
    // The output folder holds generated dashboards only: drop the ones no longer generated.
    for (const file of readdirSync(out)) {
      if (file.endsWith('.json') && !written.has(file.slice(0, -'.json'.length))) {
        rmSync(join(out, file));
        console.log(`removed stale ${join(out, file)}`);
      }
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
}

main();
