#!/usr/bin/env node
/*
 * mcp-otel overhead benchmark.
 *
 * Runs the same MCP workloads with the instrumentation off and on, in ONE
 * process, in interleaved rounds (the variant order alternates per round), and
 * reports medians. Patching is global per class, so variants are switched with
 * `instrumentation.disable()` / `enable()` between runs (disable restores the
 * prototypes); every run is checked: uninstrumented runs must export no spans
 * and record no metric points, instrumented runs must produce them.
 *
 * Arms: uninstrumented (bare), otel-only, floor, instrumented. The Streamable HTTP workload runs in a child
 * process with @opentelemetry/instrumentation-http preloaded (bench/http-instrumentation.mjs), the session
 * churn in another (bench/churn.mjs); progress goes to stderr, one summary table to stdout (bench/report.mjs).
 *
 * Usage: npm run build && node --expose-gc bench/run.mjs [options]   (see bench/README.md)
 */
import { execFileSync, spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import http from 'node:http';
import os from 'node:os';
import { randomUUID } from 'node:crypto';
import { context, createContextKey, diag, DiagLogLevel, metrics, propagation, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, ExportResultCode, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { AlwaysOffSampler, AlwaysOnSampler, BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import * as serverIndexModule from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as streamableHttpModule from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';
import { McpInstrumentation } from '../dist/esm/index.mjs';
import { wrapHandlersForFloor } from './floor.mjs';
import { printDetails, printHeader, printSummary, summarise } from './report.mjs';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));

// ---------------------------------------------------------------------------
// Options

const HELP = `Usage: node bench/run.mjs [options]      (npm run bench = build, then node --expose-gc bench/run.mjs)

By default every arm (uninstrumented, otel-only, floor, instrumented) runs on every workload, interleaved, and
the run ends with one summary table on stdout; progress goes to stderr. The Streamable HTTP workload runs in a
child process with @opentelemetry/instrumentation-http enabled (bench/http-instrumentation.mjs), the session churn
in another (bench/churn.mjs).

  --rounds N          measured rounds per workload and arm (env BENCH_ROUNDS, default 7)
  --ops N             requests per in-memory run (env BENCH_OPS, default 10000)
  --warmup N          warm-up requests per workload and arm (env BENCH_WARMUP, default 3000)
  --concurrency N     callers in the concurrent workload (env BENCH_CONCURRENCY, default 50)
  --http-ops N        requests per HTTP run (env BENCH_HTTP_OPS, default 1000)
  --workloads LIST    comma list of call, mix, concurrent, call-sampled-out, mix-sampled-out,
                      concurrent-sampled-out, http (env BENCH_WORKLOADS;
                      default call,mix,concurrent,call-sampled-out,http)
  --arms LIST         comma list of uninstrumented, otel-only, floor, instrumented (env BENCH_ARMS; default all)
                      otel-only: OTel SDK registered, its AsyncLocalStorage active (promise hooks on), mcp-otel
                      disabled; floor: a stand-in that only wraps the server's request handlers with one SERVER
                      span (10 attributes, active while the handler runs) and one duration point (4 attributes)
  --no-http           leave out the HTTP workload;  --no-sampled-out: leave out the *-sampled-out workloads
  --churn-sessions N  sessions for the churn check (env BENCH_CHURN_SESSIONS, default 10000); --no-churn: skip it
  --sampled-out       every workload with traces sampled out (AlwaysOffSampler)
  --alt-dist DIR      add an arm "alt" (reported in the per-arm tables): the same instrumentation from another build (DIR = a dist/
                      directory with esm/index.mjs), to A/B a src change in one process
  --variant V         one arm only: instrumented | uninstrumented | otel-only | floor  (for profiling)
  --details           also print the per-arm tables (ops/s, ratios with min–max, CPU µs)
  --json FILE         also write the raw results as JSON
  --http, --otel-baseline, --floor   accepted for compatibility (these are on by default now)
  --help
`;

const ALL_WORKLOADS = ['call', 'mix', 'concurrent', 'call-sampled-out', 'mix-sampled-out', 'concurrent-sampled-out', 'http'];
const ALL_ARMS = ['uninstrumented', 'otel-only', 'floor', 'instrumented'];

function parseArgs(argv) {
  const env = process.env;
  const num = (v, name) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
    return Math.floor(n);
  };
  const list = (v) => v.split(',').map((x) => x.trim()).filter(Boolean);
  const o = {
    rounds: num(env.BENCH_ROUNDS ?? 7, 'BENCH_ROUNDS'),
    ops: num(env.BENCH_OPS ?? 10000, 'BENCH_OPS'),
    warmup: num(env.BENCH_WARMUP ?? 3000, 'BENCH_WARMUP'),
    concurrency: num(env.BENCH_CONCURRENCY ?? 50, 'BENCH_CONCURRENCY'),
    httpOps: num(env.BENCH_HTTP_OPS ?? 1000, 'BENCH_HTTP_OPS'),
    churnSessions: num(env.BENCH_CHURN_SESSIONS ?? 10000, 'BENCH_CHURN_SESSIONS'),
    churn: true,
    noHttp: false,
    noSampledOut: false,
    sampledOut: false,
    variant: 'all',
    arms: env.BENCH_ARMS ? list(env.BENCH_ARMS) : undefined,
    altDist: undefined,
    workloads: env.BENCH_WORKLOADS ? list(env.BENCH_WORKLOADS) : undefined,
    details: false,
    json: undefined,
    httpChild: false, // internal: this process is the HTTP child (see runHttpChild)
    workloadIndex: [1, 1],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--rounds': o.rounds = num(value(), a); break;
      case '--ops': o.ops = num(value(), a); break;
      case '--warmup': o.warmup = num(value(), a); break;
      case '--concurrency': o.concurrency = num(value(), a); break;
      case '--http-ops': o.httpOps = num(value(), a); break;
      case '--churn-sessions': o.churnSessions = num(value(), a); break;
      case '--no-churn': o.churn = false; break;
      case '--no-http': o.noHttp = true; break;
      case '--no-sampled-out': o.noSampledOut = true; break;
      case '--http': o.addHttp = true; break; // on by default now; adds http to an explicit --workloads
      case '--otel-baseline': case '--floor': break; // on by default now
      case '--sampled-out': o.sampledOut = true; break;
      case '--variant': o.variant = value(); break;
      case '--arms': o.arms = list(value()); break;
      case '--alt-dist': o.altDist = value(); break;
      case '--workloads': o.workloads = list(value()); break;
      case '--details': o.details = true; break;
      case '--json': o.json = value(); break;
      case '--http-child': o.httpChild = true; break;
      case '--workload-index': o.workloadIndex = value().split('/').map(Number); break; // internal, for progress lines
      case '--help': case '-h': process.stdout.write(HELP); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n\n${HELP}`);
    }
  }
  if (o.variant === 'both') o.variant = 'all'; // the old name
  if (o.variant !== 'all') {
    if (!ALL_ARMS.includes(o.variant)) throw new Error(`--variant must be one of ${ALL_ARMS.join(', ')}`);
    o.arms = [o.variant];
  }
  o.arms ??= [...ALL_ARMS];
  for (const a of o.arms) if (!ALL_ARMS.includes(a)) throw new Error(`unknown arm ${a}`);
  o.arms = ALL_ARMS.filter((a) => o.arms.includes(a)); // fixed order
  o.workloads ??= o.sampledOut ? ['call', 'mix', 'concurrent', 'http'] : ['call', 'mix', 'concurrent', 'call-sampled-out', 'http'];
  if (o.addHttp && !o.workloads.includes('http')) o.workloads.push('http');
  if (o.noHttp) o.workloads = o.workloads.filter((w) => w !== 'http');
  if (o.noSampledOut) o.workloads = o.workloads.filter((w) => !w.endsWith('-sampled-out'));
  for (const w of o.workloads) if (!ALL_WORKLOADS.includes(w)) throw new Error(`unknown workload ${w}`);
  if (o.variant !== 'all') o.churn = false;
  return o;
}

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (err) {
  console.error(err.message);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// OpenTelemetry: real providers, exporters that drop everything (but count)

const HTTP_SCOPE = '@opentelemetry/instrumentation-http';

/** Drops spans; counts them, the HTTP instrumentation's apart from the rest (mcp-otel's or the floor's). */
class DroppingSpanExporter {
  spans = 0;
  httpSpans = 0;
  export(spans, resultCallback) {
    for (const span of spans) {
      if (span.instrumentationScope?.name === HTTP_SCOPE) this.httpSpans++;
      else this.spans++;
    }
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  shutdown() {
    return Promise.resolve();
  }
  forceFlush() {
    return Promise.resolve();
  }
}

const DURATION_METRIC = 'mcp.server.operation.duration';

/** Drops metrics; remembers the cumulative count of the operation-duration histogram. */
class DroppingMetricExporter {
  exports = 0;
  operationCount = 0;
  export(resourceMetrics, resultCallback) {
    this.exports++;
    let count = 0;
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        if (metric.descriptor.name !== DURATION_METRIC) continue;
        for (const point of metric.dataPoints) count += point.value.count;
      }
    }
    this.operationCount = count; // cumulative temporality (the default)
    resultCallback({ code: ExportResultCode.SUCCESS });
  }
  forceFlush() {
    return Promise.resolve();
  }
  shutdown() {
    return Promise.resolve();
  }
}

const warnings = [];
diag.setLogger(
  {
    error: (...a) => { warnings.push(a.join(' ')); console.error('[otel error]', ...a); },
    warn: (...a) => { warnings.push(a.join(' ')); console.error('[otel warn]', ...a); },
    info: () => {},
    debug: () => {},
    verbose: () => {},
  },
  DiagLogLevel.WARN,
);

const spanExporter = new DroppingSpanExporter();
const metricExporter = new DroppingMetricExporter();
const contextManager = new AsyncLocalStorageContextManager();
/** AlwaysOn or AlwaysOff, switched per workload between runs (the *-sampled-out workloads, --sampled-out). */
class SwitchableSampler {
  on = new AlwaysOnSampler();
  off = new AlwaysOffSampler();
  sampledOut = opts.sampledOut;
  shouldSample(...args) {
    return (this.sampledOut ? this.off : this.on).shouldSample(...args);
  }
  toString() {
    return this.sampledOut ? 'AlwaysOffSampler' : 'AlwaysOnSampler';
  }
}
const sampler = new SwitchableSampler();
const tracerProvider = new TracerProvider({
  sampler,
  spanProcessors: [new BatchSpanProcessor({ exporter: spanExporter })], // defaults: queue 2048, batch 512, 5 s
});
// What NodeTracerProvider.register({ contextManager }) does (sdk-trace's TracerProvider exists on 2.x and 3.x).
context.setGlobalContextManager(contextManager.enable());
propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
trace.setGlobalTracerProvider(tracerProvider);
const meterProvider = new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: Number(process.env.BENCH_METRIC_INTERVAL_MS ?? 1000) })],
});
metrics.setGlobalMeterProvider(meterProvider);

// Set by bench/http-instrumentation.mjs when this process was started with it (the HTTP child).
const httpInstrumentation = globalThis.__mcpOtelBenchHttpInstrumentation;
if (httpInstrumentation) {
  // It was created before these providers existed; give it them, as the Node SDK does.
  httpInstrumentation.setTracerProvider(tracerProvider);
  httpInstrumentation.setMeterProvider(meterProvider);
}

function fail(message) {
  console.error(`\nBENCHMARK FAILED: ${message}`);
  process.exit(1);
}

const VARIANTS = {
  uninstrumented: 'uninstrumented',
  otel: 'otel-only',
  floor: 'floor',
  instrumented: 'instrumented',
  alt: 'alt',
};
const isInstrumented = (variant) => variant === VARIANTS.instrumented || variant === VARIANTS.alt;
/** Variants that emit spans and duration points (mcp-otel, or the floor stand-in). */
const emitsTelemetry = (variant) => isInstrumented(variant) || variant === VARIANTS.floor;
let currentVariant = VARIANTS.uninstrumented;

/** variant -> McpInstrumentation that is enabled in it. */
const instrumentations = new Map();
async function setUpInstrumentation(variant, Instrumentation) {
  // client: false — the bench's MCP Client runs in this process too; no server user pays for tracing it.
  const instrumentation = new Instrumentation({ client: false });
  registerInstrumentations({ instrumentations: [instrumentation], tracerProvider, meterProvider });
  instrumentation.disable();
  instrumentations.set(variant, instrumentation);
  // Manual patching of the ESM SDK copy this script imports (no import-in-the-middle loader here);
  // the classes are remembered and patched on enable().
  instrumentation.instrument(serverIndexModule);
  instrumentation.instrument(streamableHttpModule);
  instrumentation.enable();
  if (!Object.prototype.hasOwnProperty.call(serverIndexModule.Server.prototype, '_onrequest')) {
    fail(`${variant}: instrument(server/index.js) + enable() did not patch Server.prototype._onrequest`);
  }
  instrumentation.disable();
}
await setUpInstrumentation(VARIANTS.instrumented, McpInstrumentation);
let altDistDir;
if (opts.altDist) {
  altDistDir = path.resolve(opts.altDist);
  const alt = await import(pathToFileURL(path.join(altDistDir, 'esm/index.mjs')).href);
  if (alt.McpInstrumentation === McpInstrumentation) fail('--alt-dist loaded the same build');
  await setUpInstrumentation(VARIANTS.alt, alt.McpInstrumentation);
}

const ACTIVATE_KEY = createContextKey('mcp-otel-bench.activate');
let contextRegistered = true;
/** Switches the process to a variant. Done outside timed sections. */
function setVariant(variant) {
  currentVariant = variant;
  if (httpInstrumentation) {
    // The HTTP child: the HTTP instrumentation is part of "OpenTelemetry alone", so it is on in every arm but
    // the uninstrumented one (disable() unwraps http.Server.prototype.emit, enable() wraps it again).
    if (variant === VARIANTS.uninstrumented) httpInstrumentation.disable();
    else httpInstrumentation.enable();
    if ((http.Server.prototype.emit.__wrapped === true) !== (variant !== VARIANTS.uninstrumented)) fail(`${variant}: HTTP instrumentation not switched`);
  }
  // Disable first (disable() restores the prototypes), then enable at most one.
  for (const [v, instrumentation] of instrumentations) {
    if (v === variant) continue;
    instrumentation.disable();
    if (instrumentation.isEnabled()) fail(`${v}: disable() did not disable`);
  }
  if (isInstrumented(variant)) {
    if (!contextRegistered) {
      context.setGlobalContextManager(contextManager.enable());
      contextRegistered = true;
    }
    const instrumentation = instrumentations.get(variant);
    instrumentation.enable();
    if (!instrumentation.isEnabled()) fail(`${variant}: enable() did not enable`);
    if (!Object.prototype.hasOwnProperty.call(serverIndexModule.Server.prototype, '_onrequest')) fail(`${variant}: enable() did not patch`);
  } else {
    const proto = serverIndexModule.Server.prototype;
    if (Object.prototype.hasOwnProperty.call(proto, '_onrequest')) fail('disable() left a wrapper on Server.prototype._onrequest');
    if (variant === VARIANTS.uninstrumented && contextRegistered) {
      // No context manager at all: ALS disabled, so no promise hooks in the baseline.
      context.disable();
      contextRegistered = false;
    } else if (variant === VARIANTS.otel || variant === VARIANTS.floor) {
      if (!contextRegistered) {
        context.setGlobalContextManager(contextManager.enable());
        contextRegistered = true;
      }
      // Activate the AsyncLocalStorage (its promise hooks stay on afterwards), as in an app where
      // another instrumentation (e.g. http) already runs code in a context.
      context.with(ROOT_CONTEXT.setValue(ACTIVATE_KEY, true), () => {});
    }
  }
}

async function flushTelemetry() {
  await new Promise((r) => setImmediate(r));
  await tracerProvider.forceFlush();
  await meterProvider.forceFlush();
}

// ---------------------------------------------------------------------------
// MCP server and workloads

function createServer() {
  const server = createPlainServer();
  if (currentVariant === VARIANTS.floor) wrapHandlersForFloor(server);
  return server;
}

function createPlainServer() {
  const server = new McpServer({ name: 'bench-server', version: '1.0.0' });
  server.registerTool('add', { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
    content: [{ type: 'text', text: String(a + b) }],
  }));
  server.registerTool('echo', { description: 'Echoes text', inputSchema: { text: z.string() } }, async ({ text }) => ({
    content: [{ type: 'text', text }],
  }));
  server.registerTool('now', { description: 'Current time' }, async () => ({ content: [{ type: 'text', text: 'now' }] }));
  server.registerResource('readme', 'file:///readme.md', { mimeType: 'text/markdown' }, async (uri) => ({
    contents: [{ uri: uri.href, text: '# readme\n\nhello' }],
  }));
  server.registerPrompt('greet', { argsSchema: { name: z.string() } }, ({ name }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}` } }],
  }));
  return server;
}

async function connectInMemory() {
  const server = createServer();
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(clientTransport);
  return { client, close: async () => { await client.close(); await server.close(); } };
}

let httpServer;
async function startHttpServer() {
  const transports = new Map();
  const servers = new Set();
  const server = http.createServer(async (req, res) => {
    try {
      const sid = req.headers['mcp-session-id'];
      let transport = typeof sid === 'string' ? transports.get(sid) : undefined;
      if (!transport) {
        if (sid !== undefined || req.method !== 'POST') {
          res.writeHead(sid !== undefined ? 404 : 405).end();
          return;
        }
        const mcp = createServer();
        const t = new streamableHttpModule.StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (id) => transports.set(id, t),
        });
        t.onclose = () => {
          if (t.sessionId) transports.delete(t.sessionId);
          servers.delete(mcp);
        };
        servers.add(mcp);
        await mcp.connect(t);
        transport = t;
      }
      await transport.handleRequest(req, res);
    } catch (err) {
      console.error('http handler error', err);
      if (!res.headersSent) res.writeHead(500).end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    close: async () => {
      for (const s of servers) await s.close().catch(() => {});
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
    },
  };
}

async function connectHttp() {
  const transport = new StreamableHTTPClientTransport(httpServer.url);
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(transport);
  // The SDK client passes one long-lived AbortSignal to every fetch; undici adds a
  // listener per request, which triggers MaxListenersExceededWarning after ~1,500 calls.
  if (transport._abortController?.signal) setMaxListeners(0, transport._abortController.signal);
  return {
    client,
    close: async () => {
      await transport.terminateSession().catch(() => {});
      await client.close();
    },
  };
}

const ADD_ARGS = { name: 'add', arguments: { a: 1, b: 2 } };
function checkAdd(result) {
  if (result.isError || result.content?.[0]?.text !== '3') throw new Error(`unexpected tools/call result ${JSON.stringify(result)}`);
}

/** 20-slot pattern: 16 × tools/call (80 %), 2 × tools/list (10 %), 1 × resources/read (5 %), 1 × prompts/get (5 %). */
const MIX = Array.from({ length: 20 }, (_, i) => (i === 3 || i === 13 ? 'list' : i === 7 ? 'read' : i === 17 ? 'prompt' : 'call'));

async function mixOp(client, i) {
  switch (MIX[i % MIX.length]) {
    case 'call':
      return client.callTool(ADD_ARGS);
    case 'list':
      return client.listTools();
    case 'read':
      return client.readResource({ uri: 'file:///readme.md' });
    case 'prompt':
      return client.getPrompt({ name: 'greet', arguments: { name: 'bench' } });
  }
}

const WORKLOADS = {
  call: {
    title: 'tools/call, sequential (in-memory)',
    connect: connectInMemory,
    ops: () => opts.ops,
    async run(client, n) {
      for (let i = 0; i < n; i++) await client.callTool(ADD_ARGS);
    },
    async check(client) {
      checkAdd(await client.callTool(ADD_ARGS));
    },
  },
  mix: {
    title: 'mix 80% call / 10% list / 5% read / 5% prompt, sequential (in-memory)',
    connect: connectInMemory,
    ops: () => opts.ops,
    async run(client, n) {
      for (let i = 0; i < n; i++) await mixOp(client, i);
    },
    async check(client) {
      for (let i = 0; i < MIX.length; i++) {
        const r = await mixOp(client, i);
        if (r.isError) throw new Error(`mix op ${MIX[i]} failed: ${JSON.stringify(r)}`);
      }
    },
  },
  concurrent: {
    title: `tools/call, ${opts.concurrency} concurrent callers (in-memory)`,
    connect: connectInMemory,
    ops: () => Math.ceil(opts.ops / opts.concurrency) * opts.concurrency,
    async run(client, n) {
      const per = Math.ceil(n / opts.concurrency);
      const caller = async () => {
        for (let i = 0; i < per; i++) await client.callTool(ADD_ARGS);
      };
      await Promise.all(Array.from({ length: opts.concurrency }, caller));
    },
    async check(client) {
      checkAdd(await client.callTool(ADD_ARGS));
    },
  },
  http: {
    title: 'tools/call, sequential (Streamable HTTP, 127.0.0.1, SDK client)',
    connect: connectHttp,
    ops: () => opts.httpOps,
    async run(client, n) {
      for (let i = 0; i < n; i++) await client.callTool(ADD_ARGS);
    },
    async check(client) {
      checkAdd(await client.callTool(ADD_ARGS));
    },
  },
};

// The same in-memory workloads with traces sampled out (metrics on): the path of a non-recording span.
for (const key of ['call', 'mix', 'concurrent']) {
  WORKLOADS[`${key}-sampled-out`] = { ...WORKLOADS[key], title: `${WORKLOADS[key].title}, traces sampled out`, sampledOut: true };
}

// ---------------------------------------------------------------------------
// Measurement

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : undefined;

/** One run: switch variant, connect, time `ops` requests, close, flush, verify telemetry. */
async function measure(workload, variant, ops, timed = true) {
  setVariant(variant);
  sampler.sampledOut = opts.sampledOut || workload.sampledOut === true;
  await flushTelemetry();
  const before = { spans: spanExporter.spans, httpSpans: spanExporter.httpSpans, points: metricExporter.operationCount };
  const conn = await workload.connect();
  try {
    await workload.check(conn.client);
    gc?.();
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await workload.run(conn.client, ops);
    const ms = performance.now() - start;
    const cpu = process.cpuUsage(cpu0);
    await conn.close();
    await flushTelemetry();
    const spans = spanExporter.spans - before.spans;
    const httpSpans = spanExporter.httpSpans - before.httpSpans;
    const points = metricExporter.operationCount - before.points;
    verify(workload, variant, ops, { spans, httpSpans, points }, timed);
    // CPU time of this process (all threads: JS, GC, libuv) per request: less sensitive than
    // wall time to other processes competing for the cores, though not immune (caches, SMT).
    const cpuUsPerOp = (cpu.user + cpu.system) / ops;
    return { ms, opsPerSec: (ops / ms) * 1000, usPerOp: (ms * 1000) / ops, cpuUsPerOp, spans, httpSpans, points };
  } catch (err) {
    await conn.close().catch(() => {});
    throw err;
  }
}

const totals = { instrumentedRequests: 0, instrumentedSpans: 0, instrumentedPoints: 0, otherSpans: 0, otherPoints: 0, httpSpans: 0 };

/** Aborts the benchmark unless the run exported exactly the telemetry its arm should. */
function verify(workload, variant, ops, { spans, httpSpans, points }, timed) {
  const sampledOut = sampler.sampledOut;
  const what = `${variant} run of "${workload.title}"`;
  if (emitsTelemetry(variant)) {
    if (timed && isInstrumented(variant)) {
      totals.instrumentedRequests += ops;
      totals.instrumentedSpans += spans;
      totals.instrumentedPoints += points;
    }
    // Each connection also has initialize + notifications/initialized and the check request(s).
    if (points < ops) fail(`${what} recorded ${points} duration points for ${ops} requests`);
    if (sampledOut) {
      if (spans !== 0) fail(`${what} exported ${spans} spans with traces sampled out; expected none`);
    } else if (spans < ops) {
      fail(`${what} exported ${spans} spans for ${ops} requests (dropped by the BatchSpanProcessor, or not instrumented)`);
    }
  } else {
    if (timed) {
      totals.otherSpans += spans;
      totals.otherPoints += points;
    }
    if (spans !== 0 || points !== 0) fail(`${what} produced ${spans} MCP spans and ${points} duration points; expected none`);
  }
  // The HTTP instrumentation (HTTP child only) must trace every request in all arms but the uninstrumented one.
  if (timed) totals.httpSpans += httpSpans;
  const httpExpected = Boolean(httpInstrumentation) && variant !== VARIANTS.uninstrumented && !sampledOut;
  if (httpExpected ? httpSpans < ops : httpSpans !== 0) fail(`${what} exported ${httpSpans} HTTP instrumentation spans for ${ops} requests`);
}

function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
    loadavg: os.loadavg().map((x) => x.toFixed(2)).join(' '),
    git: gitInfo(),
    versions: packageVersions(),
    rounds: opts.rounds,
    gcBetweenRuns: typeof globalThis.gc === 'function',
  };
}

function gitInfo() {
  if (process.env.BENCH_GIT_REV) return process.env.BENCH_GIT_REV; // e.g. a tree copied without .git
  try {
    const cwd = path.dirname(new URL(import.meta.url).pathname);
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../src'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${rev} + uncommitted src changes` : rev;
  } catch {
    return 'unknown';
  }
}

const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Versions of the packages that do the work, read from node_modules (their exports hide package.json). */
function packageVersions() {
  const root = path.join(BENCH_DIR, '..');
  const version = (pkg) => {
    try {
      return JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      return 'unknown';
    }
  };
  return {
    'sdk-trace': version('@opentelemetry/sdk-trace'),
    'sdk-metrics': version('@opentelemetry/sdk-metrics'),
    api: version('@opentelemetry/api'),
    'instrumentation-http': version('@opentelemetry/instrumentation-http'),
    'mcp sdk': version('@modelcontextprotocol/sdk'),
  };
}

// Progress on stderr (stdout is for the report): what runs now and the time since the whole bench started
// (BENCH_STARTED_AT is passed to the child processes so their lines continue the same clock).
const startedAt = Number(process.env.BENCH_STARTED_AT ?? Date.now());
process.env.BENCH_STARTED_AT ??= String(startedAt);
function progress(message) {
  const s = (Date.now() - startedAt) / 1000;
  const clock = `${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(0).padStart(2, '0')}`;
  process.stderr.write(`[${clock}] ${message}\n`);
}

/** Warm-up and interleaved rounds of one workload in this process. */
async function runWorkload(key, variants, index, count) {
  const workload = WORKLOADS[key];
  const ops = workload.ops();
  const label = `${index}/${count} ${key}`;
  // Warm-up: every arm, untimed (JIT, and patch/unpatch transitions).
  const warmOps = key === 'http' ? Math.min(opts.warmup, Math.max(200, opts.httpOps)) : opts.warmup;
  progress(`workload ${label}: ${workload.title}; warm-up ${fmt(warmOps)} requests per arm`);
  for (const v of variants) await measure(workload, v, warmOps, false);
  const rounds = [];
  for (let r = 0; r < opts.rounds; r++) {
    // Alternate the order (A B C D, D C B A, ...) so drift from other processes hits all arms alike.
    const order = r % 2 === 0 ? variants : [...variants].reverse();
    const round = {};
    for (const v of order) {
      round[v] = await measure(workload, v, ops);
      progress(`  round ${r + 1}/${opts.rounds} ${key} ${v}: ${round[v].usPerOp.toFixed(1)} µs/req (${fmt(round[v].opsPerSec)} ops/s)`);
    }
    rounds.push(round);
  }
  return summarise({ key, title: workload.title, ops, sampledOut: opts.sampledOut || workload.sampledOut === true, variants, rounds });
}

/** A child process: `node <execArgv> [extra node args] script args`; resolves with the JSON it wrote. */
async function runChild(nodeArgs, script, args, what) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mcp-otel-bench-'));
  const jsonFile = path.join(dir, 'result.json');
  const child = spawn(process.execPath, [...process.execArgv, ...nodeArgs, script, ...args, '--json', jsonFile], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: process.env,
  });
  const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? signal)));
  if (code !== 0) fail(`${what} child process exited with ${code}`);
  const result = JSON.parse(readFileSync(jsonFile, 'utf8'));
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/** The HTTP workload in a child started with bench/http-instrumentation.mjs preloaded. */
async function runHttpChild(index, count) {
  const args = ['--http-child', '--workloads', 'http', '--rounds', String(opts.rounds), '--warmup', String(opts.warmup),
    '--http-ops', String(opts.httpOps), '--arms', opts.arms.join(','), '--workload-index', `${index}/${count}`];
  if (opts.sampledOut) args.push('--sampled-out');
  if (opts.altDist) args.push('--alt-dist', opts.altDist);
  const setup = pathToFileURL(path.join(BENCH_DIR, 'http-instrumentation.mjs')).href;
  progress(`workload ${index}/${count} http: starting a child process with @opentelemetry/instrumentation-http`);
  const child = await runChild(['--import', setup], path.join(BENCH_DIR, 'run.mjs'), args, 'HTTP');
  for (const k of Object.keys(totals)) totals[k] += child.totals[k] ?? 0;
  warnings.push(...child.warnings);
  return child.results.http;
}

async function runChurnChild() {
  progress(`session churn: ${fmt(opts.churnSessions)} sessions in a child process (bench/churn.mjs)`);
  return runChild(['--expose-gc'], path.join(BENCH_DIR, 'churn.mjs'), ['--sessions', String(opts.churnSessions)], 'churn');
}

async function main() {
  const info = machineInfo();
  const variants = [...opts.arms, ...(opts.altDist ? [VARIANTS.alt] : [])];
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const inProcess = opts.workloads.filter((w) => w !== 'http' || httpInstrumentation);
  if (opts.httpChild) {
    // The HTTP child: only measure; the parent prints.
    if (!httpInstrumentation) fail('--http-child needs --import bench/http-instrumentation.mjs');
    const results = {};
    httpServer = await startHttpServer();
    results.http = await runWorkload('http', variants, ...opts.workloadIndex);
    await httpServer.close();
    writeFileSync(opts.json, JSON.stringify({ totals, warnings, results }));
    await tracerProvider.shutdown();
    await meterProvider.shutdown();
    return;
  }
  printHeader(out, info, opts, variants);
  if (altDistDir) out(`alt arm: ${altDistDir}`);
  out('');
  const results = {};
  const count = opts.workloads.length;
  if (inProcess.includes('http')) httpServer = await startHttpServer(); // started with the HTTP instrumentation preloaded
  for (const [i, key] of opts.workloads.entries()) {
    results[key] = inProcess.includes(key) ? await runWorkload(key, variants, i + 1, count) : await runHttpChild(i + 1, count);
  }
  if (httpServer) await httpServer.close();
  const churn = opts.churn ? await runChurnChild() : undefined;
  info.elapsedSeconds = Math.round((Date.now() - startedAt) / 1000);
  info.loadavgEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  progress(`done in ${info.elapsedSeconds} s; load average now ${info.loadavgEnd}`);

  out(`sanity: instrumented runs issued ${fmt(totals.instrumentedRequests)} timed requests; exported ${fmt(totals.instrumentedSpans)} MCP spans` +
    ` and recorded ${fmt(totals.instrumentedPoints)} duration points (incl. initialize/initialized/check requests);` +
    ` bare and OTel-alone runs: ${totals.otherSpans} MCP spans, ${totals.otherPoints} points; HTTP instrumentation spans: ${fmt(totals.httpSpans)}.`);
  if (warnings.length) out(`OpenTelemetry diag warnings/errors: ${warnings.length} (first: ${warnings[0]})`);
  out(`total time ${info.elapsedSeconds} s; load average at end: ${info.loadavgEnd}`);
  out('');
  if (opts.details || opts.altDist) { // the summary has no column for the alt arm
    printDetails(out, variants, results);
    out('');
  }
  if (variants.includes(VARIANTS.uninstrumented) && variants.length > 1) printSummary(out, info, results, churn);
  else printDetails(out, variants, results);
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ info, opts, totals, warnings, results, churn }, null, 2));
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
