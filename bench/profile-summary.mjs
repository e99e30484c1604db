#!/usr/bin/env node
/*
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by package,
 * top self-time functions, and inclusive time of mcp-otel's own functions.
 *
 *   node bench/profile-summary.mjs PROFILE.cpuprofile [BASELINE.cpuprofile] [--top N]
 *
 * With a baseline profile (same workload, instrumentation disabled) it also
 * prints the per-category difference, normalised per request if both
 * profiles saw the same number of requests (pass --requests N to print µs/request).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
let top = 25;
let requests;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--top') top = Number(args[++i]);
  else if (args[i] === '--requests') requests = Number(args[++i]);
  else files.push(args[i]);
}
if (files.length === 0) {
  console.error('usage: node bench/profile-summary.mjs PROFILE.cpuprofile [BASELINE.cpuprofile] [--top N] [--requests N]');
  process.exit(2);
}

const repoDist = `${path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')}/dist/`;

function category(url, functionName) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(idle)') return 'idle';
    if (functionName === '(program)') return 'program (native/VM)';
    if (functionName === '(root)') return 'root';
    return 'native (no url)';
  }
  const u = decodeURIComponent(url.replace(/^file:\/\//, ''));
  if (u.startsWith(repoDist) || (!u.includes('/node_modules/') && /\/dist\/(cjs|esm)\//.test(u))) return 'mcp-otel (dist)';
  let m = u.match(/node_modules\/(@opentelemetry\/[^/]+)\//);
  if (m) return m[1];
  m = u.match(/node_modules\/(@modelcontextprotocol\/sdk)\//);
  if (m) return m[1];
  m = u.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) return m[1];
  if (u.startsWith('node:internal/async_hooks') || u.startsWith('node:async_hooks') || u.includes('async_local_storage')) return 'node: async_hooks/ALS';
  if (u.startsWith('node:')) return 'node: other internals';
  if (u.includes('/bench/')) return 'bench script';
  return 'other';
}

function load(file) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map(); // node id -> µs
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  let total = 0;
  const byCategory = new Map();
  const byFunction = new Map();
  const keyOf = (n) => {
    const cf = n.callFrame;
    const file = cf.url ? cf.url.replace(/^file:\/\//, '').replace(/.*node_modules\//, '').replace(/^.*?\/dist\/(cjs|esm)\//, 'dist/$1/') : '';
    return `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
  };
  for (const [id, us] of self) {
    const n = nodes.get(id);
    const cat = category(n.callFrame.url, n.callFrame.functionName);
    if (cat === 'idle') continue;
    total += us;
    byCategory.set(cat, (byCategory.get(cat) ?? 0) + us);
    const key = keyOf(n);
    const f = byFunction.get(key) ?? { us: 0, cat };
    f.us += us;
    byFunction.set(key, f);
  }
  // Inclusive time of mcp-otel functions (each sample counted once per function on its stack).
  const inclusive = new Map();
  for (const [id, us] of self) {
    if (category(nodes.get(id).callFrame.url, nodes.get(id).callFrame.functionName) === 'idle') continue;
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const n = nodes.get(cur);
      if (category(n.callFrame.url, n.callFrame.functionName) !== 'mcp-otel (dist)') continue;
      const key = keyOf(n);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  return { total, byCategory, byFunction, inclusive, durationUs: profile.endTime - profile.startTime };
}

const pct = (x, total) => `${((100 * x) / total).toFixed(1)}%`;
const ms = (us) => `${(us / 1000).toFixed(0)} ms`;

const main = load(files[0]);
console.log(`# ${path.basename(files[0])}: ${ms(main.total)} non-idle samples over ${ms(main.durationUs)}`);
console.log('\n## Self time by package / category');
for (const [cat, us] of [...main.byCategory].sort((a, b) => b[1] - a[1])) console.log(`${pct(us, main.total).padStart(7)}  ${ms(us).padStart(9)}  ${cat}`);

console.log(`\n## Top ${top} functions by self time`);
for (const [key, f] of [...main.byFunction].sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
  console.log(`${pct(f.us, main.total).padStart(7)}  ${key}  [${f.cat}]`);
}

const attributable = (cat) => cat === 'mcp-otel (dist)' || cat.startsWith('@opentelemetry/');
console.log(`\n## Top ${top} self-time functions in mcp-otel dist and @opentelemetry/*`);
for (const [key, f] of [...main.byFunction].filter(([, f]) => attributable(f.cat)).sort((a, b) => b[1].us - a[1].us).slice(0, top)) {
  console.log(`${pct(f.us, main.total).padStart(7)}  ${key}  [${f.cat}]`);
}

console.log('\n## Inclusive time of mcp-otel functions (self + callees)');
for (const [key, us] of [...main.inclusive].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${pct(us, main.total).padStart(7)}  ${key}`);

if (files[1]) {
  const base = load(files[1]);
  console.log(`\n## Difference vs baseline ${path.basename(files[1])} (${ms(base.total)} non-idle)`);
  const cats = new Set([...main.byCategory.keys(), ...base.byCategory.keys()]);
  const rows = [...cats].map((c) => [c, main.byCategory.get(c) ?? 0, base.byCategory.get(c) ?? 0]).sort((a, b) => b[1] - b[2] - (a[1] - a[2]));
  console.log(`${'category'.padEnd(28)} ${'instr'.padStart(9)} ${'base'.padStart(9)} ${'delta'.padStart(9)}${requests ? '   µs/request' : ''}`);
  for (const [c, a, b] of rows) {
    const d = a - b;
    console.log(`${c.padEnd(28)} ${ms(a).padStart(9)} ${ms(b).padStart(9)} ${ms(d).padStart(9)}${requests ? `   ${(d / requests).toFixed(2).padStart(8)}` : ''}`);
  }
  const d = main.total - base.total;
  console.log(`${'TOTAL'.padEnd(28)} ${ms(main.total).padStart(9)} ${ms(base.total).padStart(9)} ${ms(d).padStart(9)}${requests ? `   ${(d / requests).toFixed(2).padStart(8)}` : ''}`);
}
