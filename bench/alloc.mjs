#!/usr/bin/env node
/*
 * Bytes allocated per in-memory `tools/call`, end to end (a real SDK Client and McpServer, as in bench/run.mjs),
 * for three arms, each in a process of its own: uninstrumented, the floor (bench/floor.mjs) and mcp-otel.
 * V8's sampling heap profiler, objects collected by minor and major GC included, so it counts everything a call
 * allocates rather than what survives. For mcp-otel it also lists its own top allocation sites.
 *
 *   node bench/alloc.mjs [--dist DIR] [--calls N]
 *
 * Set-up as bench/run.mjs: AsyncLocalStorage context manager, BatchSpanProcessor into a dropping exporter,
 * MeterProvider with a periodic reader into a dropping exporter, AlwaysOn sampling.
 */
import { spawnSync } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ARMS = ['uninstrumented', 'floor', 'instrumented'];
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const dist = path.resolve(option('--dist', path.join(path.dirname(fileURLToPath(import.meta.url)), '../dist')));
const calls = Number(option('--calls', '20000'));
const arm = option('--arm', undefined);

if (arm === undefined) {
  console.log(`bytes allocated per in-memory tools/call (sampled, ${calls} calls after 5,000 to warm up), Node ${process.versions.node}, ${dist}`);
  for (const a of ARMS) {
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--arm', a, '--dist', dist, '--calls', String(calls)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (run.status !== 0) throw new Error(`arm ${a} failed (exit ${run.status})`);
    process.stdout.write(run.stdout);
  }
  process.exit(0);
}

const { context, metrics, trace } = await import('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
const { MeterProvider, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
const { BatchSpanProcessor, TracerProvider } = await import('@opentelemetry/sdk-trace');
const drop = { export: (_items, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new BatchSpanProcessor({ exporter: drop })] }));
metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: drop, exportIntervalMillis: 1000 })] }));

const serverModule = await import('@modelcontextprotocol/sdk/server/index.js');
if (arm === 'instrumented') {
  const { McpInstrumentation } = await import(pathToFileURL(path.join(dist, 'esm/index.mjs')).href);
  new McpInstrumentation({ client: false }).instrument(serverModule);
}
const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
const { z } = await import('zod');
const server = new McpServer({ name: 'bench-server', version: '1.0.0' });
server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
if (arm === 'floor') (await import('./floor.mjs')).wrapHandlersForFloor(server);
const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
await server.connect(serverTransport);
const client = new Client({ name: 'bench-client', version: '1.0.0' });
await client.connect(clientTransport);
const call = () => client.callTool({ name: 'add', arguments: { a: 1, b: 2 } });
for (let i = 0; i < 5000; i++) await call();

const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', { samplingInterval: 128, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
for (let i = 0; i < calls; i++) await call();
const { profile } = await session.post('HeapProfiler.stopSampling');
let total = 0;
const own = new Map();
// CommonJS frames carry a path, ESM frames a file: URL (mcp-otel's ESM entry points re-export its CommonJS build).
const distPrefixes = [`${dist}/`, `${pathToFileURL(dist).href}/`];
const walk = (node) => {
  const { functionName, url, lineNumber } = node.callFrame;
  total += node.selfSize;
  const prefix = distPrefixes.find((p) => url.startsWith(p));
  if (node.selfSize > 0 && prefix !== undefined) {
    const site = `${functionName || '(anonymous)'} ${url.slice(prefix.length)}:${lineNumber + 1}`;
    own.set(site, (own.get(site) ?? 0) + node.selfSize);
  }
  node.children.forEach(walk);
};
walk(profile.head);
const ownTotal = [...own.values()].reduce((a, b) => a + b, 0);
console.log(`  ${arm.padEnd(15)} ${(total / calls).toFixed(0).padStart(7)} B/call${arm === 'instrumented' ? `, of which ${(ownTotal / calls).toFixed(0)} B in mcp-otel's own functions:` : ''}`);
for (const [site, bytes] of [...own].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`      ${(bytes / calls).toFixed(0).padStart(6)} B  ${site}`);
process.exit(0);
