#!/usr/bin/env node
/*
 * Micro-benchmark of mcp-otel's own per-request path, without the MCP SDK, zod
 * or a client: ServerTelemetry.startRequest -> context.with -> responseSent for
 * a `tools/call`, with the same real OTel setup as bench/run.mjs (BatchSpanProcessor
 * into a dropping exporter, MeterProvider, AsyncLocalStorage context manager).
 *
 * Use it to A/B a change in one process: each argument is a build (a dist/ directory);
 * runs are interleaved and the median is printed per build.
 *
 *   node bench/hotpath.mjs [DIST ...] [--sampled-out] [--method M] [--rounds N] [--ops N]
 *
 * --method: tools/call (default), tools/list, resources/read or prompts/get (the methods of bench/run.mjs's mix).
 * --alloc: instead of timing, bytes allocated per request by each build and the floor (V8's sampling heap profiler,
 *   collected objects included), with the top allocation sites.
 *
 * It also times an "OTel floor": what any instrumentation emitting the same data must
 * do at least (start a SERVER span with the same attributes, make it active around a
 * function, end it, record the duration histogram with the same attributes), so the
 * difference to it is mcp-otel's own logic.
 *
 * It reaches into internals (`instrumentation._telemetry`, ServerTelemetry's
 * startRequest/responseSent/newConnection), so it may need updating when they change.
 */
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, metrics, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, ExportResultCode, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
let sampledOut = false;
let rounds = 9;
let ops = 20000;
let method = 'tools/call';
let alloc = false;
const dists = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--sampled-out') sampledOut = true;
  else if (args[i] === '--rounds') rounds = Number(args[++i]);
  else if (args[i] === '--ops') ops = Number(args[++i]);
  else if (args[i] === '--method') method = args[++i];
  else if (args[i] === '--alloc') alloc = true;
  else dists.push(path.resolve(args[i]));
}
if (dists.length === 0) dists.push(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist'));

// The params of each method as the mix of bench/run.mjs sends them.
const PARAMS = {
  'tools/call': { name: 'add', arguments: { a: 1, b: 2 } },
  'tools/list': {},
  'resources/read': { uri: 'file:///readme.md' },
  'prompts/get': { name: 'greet', arguments: { name: 'alice' } },
};
if (!(method in PARAMS)) throw new Error(`--method must be one of ${Object.keys(PARAMS).join(', ')}`);
const PARAMS_OF_METHOD = PARAMS[method];

const dropSpans = { export: (_s, cb) => cb({ code: ExportResultCode.SUCCESS }), shutdown: async () => {}, forceFlush: async () => {} };
const dropMetrics = { export: (_m, cb) => cb({ code: ExportResultCode.SUCCESS }), shutdown: async () => {}, forceFlush: async () => {} };
// What NodeTracerProvider.register() does (sdk-trace's TracerProvider exists on OpenTelemetry JS 2.x and 3.x).
const tracerProvider = new TracerProvider({
  sampler: sampledOut ? new AlwaysOffSampler() : new AlwaysOnSampler(),
  spanProcessors: [new BatchSpanProcessor({ exporter: dropSpans })],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
trace.setGlobalTracerProvider(tracerProvider);
const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: dropMetrics, exportIntervalMillis: 1000 })] });
metrics.setGlobalMeterProvider(meterProvider);

const setups = dists.map((dist) => {
  const { McpInstrumentation } = require(path.join(dist, 'cjs/index.js'));
  const instrumentation = new McpInstrumentation({ client: false }); // server side only, as a server user runs it
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.setMeterProvider(meterProvider);
  // A stand-in for the SDK's Server class: only what patchServerClass and ConnectionState look at.
  class FakeServer {
    _onrequest() {}
    _onnotification() {}
    _onclose() {}
    getClientVersion() {
      return { name: 'bench-client', version: '1.0.0' };
    }
  }
  instrumentation.instrument(FakeServer);
  const telemetry = instrumentation._telemetry;
  if (!telemetry) throw new Error(`${dist}: no _telemetry after instrument(); internals changed, update bench/hotpath.mjs`);
  const server = new FakeServer();
  server._transport = { send() {} };
  const state = telemetry.newConnection(server, server._transport);
  telemetry.startRequest(state, { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench-client', version: '1.0.0' } } }, undefined);
  telemetry.responseSent(state, { jsonrpc: '2.0', id: 0, result: { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: { name: 's', version: '1' } } }, undefined);
  return { dist, instrumentation, telemetry, state, samples: [] };
});

// The floor uses exactly the attributes mcp-otel put on a tools/call span and duration point.
// (A sampled-out span has no attributes, so the probe records with an always-on provider.)
const probe = setups[0];
const probeProvider = new TracerProvider({ sampler: new AlwaysOnSampler() });
probe.instrumentation.setTracerProvider(probeProvider);
probe.telemetry.startRequest(probe.state, { jsonrpc: '2.0', id: 'probe', method, params: PARAMS_OF_METHOD }, undefined);
const probed = probe.state.pending.get('probe');
const floorSpanAttributes = { ...(probed.span.attributes ?? {}) };
const floorMetricAttributes = { ...probed.metricAttributes };
const floorSpanName = probed.span.name;
probe.telemetry.responseSent(probe.state, { jsonrpc: '2.0', id: 'probe', result: {} }, undefined);
probe.instrumentation.setTracerProvider(tracerProvider);
if (Object.keys(floorSpanAttributes).length < 4) throw new Error('could not read the span attributes (internals changed?); update bench/hotpath.mjs');
const floorTracer = tracerProvider.getTracer('floor');
const floorHistogram = meterProvider.getMeter('floor').createHistogram('floor.duration', { unit: 's' });
const floor = {
  dist: 'OTel floor (same span + attributes + duration point, no mcp-otel logic)',
  samples: [],
  run(n) {
    for (let i = 0; i < n; i++) {
      const start = performance.now();
      const span = floorTracer.startSpan(floorSpanName, { kind: SpanKind.SERVER, attributes: Object.assign({}, floorSpanAttributes) }, context.active());
      context.with(trace.setSpan(context.active(), span), () => {});
      span.end();
      floorHistogram.record((performance.now() - start) / 1000, Object.assign({}, floorMetricAttributes));
    }
  },
};

const RESULT = { content: [{ type: 'text', text: '3' }] };
let nextId = 1;
function run({ telemetry, state }, n) {
  for (let i = 0; i < n; i++) {
    const id = nextId++;
    const ctx = telemetry.startRequest(state, { jsonrpc: '2.0', id, method, params: PARAMS_OF_METHOD }, undefined);
    context.with(ctx, () => {});
    telemetry.responseSent(state, { jsonrpc: '2.0', id, result: RESULT }, undefined);
  }
}

for (const s of setups) run(s, ops); // warm-up
floor.run(ops);
if (alloc) {
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  for (const s of [...setups, floor]) {
    await session.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    if (s === floor) floor.run(ops);
    else run(s, ops);
    const { profile } = await session.post('HeapProfiler.stopSampling');
    const sites = new Map();
    let total = 0;
    const walk = (node) => {
      const { functionName, url, lineNumber } = node.callFrame;
      const site = `${functionName || '(anonymous)'} ${url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/')}:${lineNumber + 1}`;
      total += node.selfSize;
      if (node.selfSize > 0) sites.set(site, (sites.get(site) ?? 0) + node.selfSize);
      node.children.forEach(walk);
    };
    walk(profile.head);
    console.log(`${(total / ops).toFixed(0)} B/request allocated (sampled), ${method}, ${s.dist}`);
    for (const [site, bytes] of [...sites].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${(bytes / ops).toFixed(0).padStart(6)} B  ${site}`);
  }
  process.exit(0);
}
const all = [...setups, floor];
for (let r = 0; r < rounds; r++) {
  for (let k = 0; k < all.length; k++) {
    const s = all[(k + r) % all.length]; // rotate the order
    const t = process.hrtime.bigint();
    if (s === floor) floor.run(ops);
    else run(s, ops);
    s.samples.push(Number(process.hrtime.bigint() - t) / ops / 1000);
    await new Promise((resolve) => setImmediate(resolve)); // let batches export
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`mcp-otel hot path (startRequest + context.with + responseSent, ${method}), sampler ${sampledOut ? 'AlwaysOff' : 'AlwaysOn'}, ${rounds} rounds × ${ops}`);
for (const s of all) console.log(`  ${median(s.samples).toFixed(2)} µs/request (min ${Math.min(...s.samples).toFixed(2)})  ${s.dist}`);
await tracerProvider.shutdown();
await meterProvider.shutdown();
