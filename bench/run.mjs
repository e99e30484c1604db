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
 * Usage: npm run build && node bench/run.mjs [options]   (see bench/README.md)
 */
import { execFileSync } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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

// ---------------------------------------------------------------------------
// Options

const HELP = `Usage: node bench/run.mjs [options]

  --rounds N          measured rounds per workload and variant (env BENCH_ROUNDS, default 7)
  --ops N             requests per in-memory run (env BENCH_OPS, default 10000)
  --warmup N          warm-up requests per workload and variant (env BENCH_WARMUP, default 3000)
  --concurrency N     callers in the concurrent workload (env BENCH_CONCURRENCY, default 50)
  --http              also run the Streamable HTTP workload (127.0.0.1, stateful session, SDK client)
  --http-ops N        requests per HTTP run (env BENCH_HTTP_OPS, default 1000)
  --sampled-out       traces sampled out (AlwaysOffSampler): measures the metrics-only path
  --otel-baseline     add a third variant "otel-only": OTel SDK registered and its AsyncLocalStorage
                      context manager active (promise hooks on), mcp-otel disabled
  --floor             add a variant "floor": the OpenTelemetry floor, a stand-in that only wraps the server's
                      request handlers with one SERVER span (10 attributes, active while the handler runs)
                      and one duration point (4 attributes), mcp-otel disabled: what any instrumentation
                      emitting this data must pay; ratios are also reported against it
  --alt-dist DIR      add a variant "alt": the same instrumentation from another build (DIR = a dist/
                      directory with esm/index.mjs), to A/B a src change in one process
  --variant V         both (default) | instrumented | uninstrumented | otel-only | floor  (single-variant runs, for
                      profiling and bench/instructions.mjs)
  --workloads LIST    comma list of call,mix,concurrent,http (default call,mix,concurrent [+http])
  --json FILE         also write the raw results as JSON
  --help
`;

function parseArgs(argv) {
  const env = process.env;
  const num = (v, name) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
    return Math.floor(n);
  };
  const o = {
    rounds: num(env.BENCH_ROUNDS ?? 7, 'BENCH_ROUNDS'),
    ops: num(env.BENCH_OPS ?? 10000, 'BENCH_OPS'),
    warmup: num(env.BENCH_WARMUP ?? 3000, 'BENCH_WARMUP'),
    concurrency: num(env.BENCH_CONCURRENCY ?? 50, 'BENCH_CONCURRENCY'),
    httpOps: num(env.BENCH_HTTP_OPS ?? 1000, 'BENCH_HTTP_OPS'),
    http: false,
    sampledOut: false,
    otelBaseline: false,
    floor: false,
    variant: 'both',
    altDist: undefined,
    workloads: undefined,
    json: undefined,
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
      case '--http': o.http = true; break;
      case '--sampled-out': o.sampledOut = true; break;
      case '--otel-baseline': o.otelBaseline = true; break;
      case '--floor': o.floor = true; break;
      case '--variant': o.variant = value(); break;
      case '--alt-dist': o.altDist = value(); break;
      case '--workloads': o.workloads = value().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--json': o.json = value(); break;
      case '--help': case '-h': process.stdout.write(HELP); process.exit(0); break;
      default: throw new Error(`unknown option ${a}\n\n${HELP}`);
    }
  }
  if (!['both', 'instrumented', 'uninstrumented', 'otel-only', 'floor'].includes(o.variant)) throw new Error(`--variant must be both, instrumented, uninstrumented, otel-only or floor`);
  o.workloads ??= ['call', 'mix', 'concurrent', ...(o.http ? ['http'] : [])];
  if (o.workloads.includes('http')) o.http = true;
  for (const w of o.workloads) if (!['call', 'mix', 'concurrent', 'http'].includes(w)) throw new Error(`unknown workload ${w}`);
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

class DroppingSpanExporter {
  spans = 0;
  export(spans, resultCallback) {
    this.spans += spans.length;
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
const tracerProvider = new TracerProvider({
  sampler: opts.sampledOut ? new AlwaysOffSampler() : new AlwaysOnSampler(),
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

// The floor: the least any instrumentation emitting mcp-otel's data must do per request.
const floorTracer = trace.getTracer('mcp-otel-bench-floor');
const floorDuration = metrics.getMeterProvider().getMeter('mcp-otel-bench-floor').createHistogram(DURATION_METRIC, { unit: 's' });

/** Wraps every request handler of `mcpServer`: a SERVER span with 10 attributes, active around the handler, and a duration point. */
function wrapHandlersForFloor(mcpServer) {
  const handlers = mcpServer.server._requestHandlers;
  for (const [method, handler] of handlers) {
    handlers.set(method, function floorHandler(request, extra) {
      const name = request.params?.name;
      const span = floorTracer.startSpan(name ? `${method} ${name}` : method, {
        kind: SpanKind.SERVER,
        attributes: {
          'mcp.method.name': method,
          'jsonrpc.request.id': String(request.id),
          'mcp.session.id': 'session',
          'mcp.protocol.version': '2025-06-18',
          'mcp.client.name': 'bench-client',
          'mcp.client.version': '1.0.0',
          'mcp.client.type': 'other',
          'mcp.client.tracking_id': 'tracking',
          'gen_ai.tool.name': name,
          'gen_ai.operation.name': 'execute_tool',
        },
      });
      const start = performance.now();
      const done = () => {
        span.end();
        floorDuration.record((performance.now() - start) / 1000, {
          'mcp.method.name': method,
          'gen_ai.tool.name': name,
          'mcp.protocol.version': '2025-06-18',
          'mcp.client.type': 'other',
        });
      };
      return context.with(trace.setSpan(context.active(), span), () => handler(request, extra)).then(
        (result) => {
          done();
          return result;
        },
        (err) => {
          done();
          throw err;
        },
      );
    });
  }
}

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

// ---------------------------------------------------------------------------
// Measurement

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : undefined;

/** One run: switch variant, connect, time `ops` requests, close, flush, verify telemetry. */
async function measure(workload, variant, ops, timed = true) {
  setVariant(variant);
  await flushTelemetry();
  const spansBefore = spanExporter.spans;
  const pointsBefore = metricExporter.operationCount;
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
    const spans = spanExporter.spans - spansBefore;
    const points = metricExporter.operationCount - pointsBefore;
    verify(workload, variant, ops, spans, points, timed);
    // CPU time of this process (all threads: JS, GC, libuv) per request: less sensitive than
    // wall time to other processes competing for the cores, though not immune (caches, SMT).
    const cpuUsPerOp = (cpu.user + cpu.system) / ops;
    return { ms, opsPerSec: (ops / ms) * 1000, usPerOp: (ms * 1000) / ops, cpuUsPerOp, spans, points };
  } catch (err) {
    await conn.close().catch(() => {});
    throw err;
  }
}

const totals = { instrumentedRequests: 0, instrumentedSpans: 0, instrumentedPoints: 0, otherSpans: 0, otherPoints: 0 };

function verify(workload, variant, ops, spans, points, timed) {
  if (emitsTelemetry(variant)) {
    if (timed && isInstrumented(variant)) {
      totals.instrumentedRequests += ops;
      totals.instrumentedSpans += spans;
      totals.instrumentedPoints += points;
    }
    // Each connection also has initialize + notifications/initialized and the check request(s).
    if (points < ops) fail(`${variant} run of "${workload.title}" recorded ${points} duration points for ${ops} requests`);
    if (opts.sampledOut) {
      if (spans !== 0) fail(`sampled-out run exported ${spans} spans; expected none`);
    } else if (spans < ops) {
      fail(`${variant} run of "${workload.title}" exported ${spans} spans for ${ops} requests (dropped by the BatchSpanProcessor, or not instrumented)`);
    }
  } else {
    if (timed) {
      totals.otherSpans += spans;
      totals.otherPoints += points;
    }
    if (spans !== 0 || points !== 0) {
      fail(`${variant} run of "${workload.title}" produced ${spans} spans and ${points} metric points after disable(); expected none`);
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

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
  };
}

function gitInfo() {
  try {
    const cwd = path.dirname(new URL(import.meta.url).pathname);
    const rev = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../src'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return dirty ? `${rev} + uncommitted src changes` : rev;
  } catch {
    return 'unknown';
  }
}

const signed = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(1)}`;
const fmt = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

async function main() {
  const info = machineInfo();
  const variants =
    opts.variant === 'both'
      ? [
          VARIANTS.uninstrumented,
          ...(opts.otelBaseline ? [VARIANTS.otel] : []),
          ...(opts.floor ? [VARIANTS.floor] : []),
          VARIANTS.instrumented,
          ...(opts.altDist ? [VARIANTS.alt] : []),
        ]
      : [{ instrumented: VARIANTS.instrumented, uninstrumented: VARIANTS.uninstrumented, 'otel-only': VARIANTS.otel, floor: VARIANTS.floor }[opts.variant]];
  console.log('# mcp-otel overhead benchmark');
  console.log(`machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.platform}`);
  console.log(`node ${info.node}, ${info.date}, load average at start: ${info.loadavg}, mcp-otel git ${info.git}`);
  if (altDistDir) console.log(`alt variant: ${altDistDir}`);
  console.log(
    `config: rounds=${opts.rounds} ops=${opts.ops} warmup=${opts.warmup} concurrency=${opts.concurrency}` +
      `${opts.http ? ` http-ops=${opts.httpOps}` : ''} sampler=${opts.sampledOut ? 'AlwaysOff (metrics only)' : 'AlwaysOn'}` +
      ` variants=${variants.join(',')} gc-between-runs=${gc ? 'yes' : 'no (run with --expose-gc)'}`,
  );
  console.log(
    'telemetry: TracerProvider + BatchSpanProcessor -> dropping exporter, MeterProvider + PeriodicExportingMetricReader(1 s) -> dropping exporter, AsyncLocalStorageContextManager, W3C propagators',
  );

  if (opts.http) httpServer = await startHttpServer();
  const started = performance.now();
  const results = {};
  for (const key of opts.workloads) {
    const workload = WORKLOADS[key];
    const ops = workload.ops();
    // Warm-up: every variant, untimed (JIT, and patch/unpatch transitions).
    const warmOps = key === 'http' ? Math.min(opts.warmup, Math.max(200, opts.httpOps)) : opts.warmup;
    for (const v of variants) await measure(workload, v, warmOps, false);
    const rounds = [];
    for (let r = 0; r < opts.rounds; r++) {
      // Alternate the order (A B, B A, ...) so drift from other processes hits both variants alike.
      const order = r % 2 === 0 ? variants : [...variants].reverse();
      const round = {};
      for (const v of order) round[v] = await measure(workload, v, ops);
      rounds.push(round);
      const line = variants.map((v) => `${v} ${fmt(round[v].opsPerSec)} ops/s`).join(', ');
      console.log(`  [${key}] round ${r + 1}/${opts.rounds}: ${line}`);
    }
    results[key] = summarise(workload, ops, variants, rounds);
  }
  if (httpServer) await httpServer.close();
  const elapsed = (performance.now() - started) / 1000;
  info.loadavgEnd = os.loadavg().map((x) => x.toFixed(2)).join(' ');

  printReport(info, variants, results, elapsed);
  if (opts.json) writeFileSync(opts.json, JSON.stringify({ info, opts, totals, warnings, results }, null, 2));
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
}

function summarise(workload, ops, variants, rounds) {
  const s = { title: workload.title, ops, rounds };
  for (const v of variants) {
    s[v] = {
      opsPerSec: median(rounds.map((r) => r[v].opsPerSec)),
      usPerOp: median(rounds.map((r) => r[v].usPerOp)),
      cpuUsPerOp: median(rounds.map((r) => r[v].cpuUsPerOp)),
    };
  }
  const base = VARIANTS.uninstrumented;
  if (variants.includes(base)) {
    // Paired per round (adjacent runs), then the median: robust against load drift.
    s.vsBaseline = {};
    for (const v of variants) {
      if (v === base) continue;
      const ratios = rounds.map((r) => r[v].opsPerSec / r[base].opsPerSec);
      s.vsBaseline[v] = {
        ratio: median(ratios),
        ratioMin: Math.min(...ratios),
        ratioMax: Math.max(...ratios),
        addedUs: median(rounds.map((r) => r[v].usPerOp - r[base].usPerOp)),
        addedCpuUs: median(rounds.map((r) => r[v].cpuUsPerOp - r[base].cpuUsPerOp)),
      };
    }
  }
  if (variants.includes(VARIANTS.floor) && variants.includes(VARIANTS.instrumented) && variants.includes(base)) {
    // The target: mcp-otel's added time per request within 1.1 × what the floor adds (paired per round).
    const added = (r, v) => r[v].usPerOp - r[base].usPerOp;
    const addedCpu = (r, v) => r[v].cpuUsPerOp - r[base].cpuUsPerOp;
    s.vsFloor = {
      addedRatio: median(rounds.map((r) => added(r, VARIANTS.instrumented) / added(r, VARIANTS.floor))),
      addedCpuRatio: median(rounds.map((r) => addedCpu(r, VARIANTS.instrumented) / addedCpu(r, VARIANTS.floor))),
      throughputRatio: median(rounds.map((r) => r[VARIANTS.instrumented].opsPerSec / r[VARIANTS.floor].opsPerSec)),
    };
  }
  if (variants.includes(VARIANTS.otel) && variants.includes(VARIANTS.instrumented)) {
    // What mcp-otel adds to an app that already runs the OpenTelemetry SDK (its context manager active).
    const ratios = rounds.map((r) => r[VARIANTS.instrumented].opsPerSec / r[VARIANTS.otel].opsPerSec);
    s.vsOtel = {
      ratio: median(ratios),
      ratioMin: Math.min(...ratios),
      ratioMax: Math.max(...ratios),
      addedUs: median(rounds.map((r) => r[VARIANTS.instrumented].usPerOp - r[VARIANTS.otel].usPerOp)),
      addedCpuUs: median(rounds.map((r) => r[VARIANTS.instrumented].cpuUsPerOp - r[VARIANTS.otel].cpuUsPerOp)),
    };
  }
  return s;
}

function printReport(info, variants, results, elapsed) {
  const base = VARIANTS.uninstrumented;
  const main = VARIANTS.instrumented;
  const paired = variants.includes(base) && variants.includes(main);
  console.log('');
  console.log(`sanity: instrumented runs issued ${fmt(totals.instrumentedRequests)} timed requests; exported ${fmt(totals.instrumentedSpans)} spans` +
    ` and recorded ${fmt(totals.instrumentedPoints)} duration points (incl. initialize/initialized/check requests);` +
    ` uninstrumented runs: ${totals.otherSpans} spans, ${totals.otherPoints} points.`);
  if (warnings.length) console.log(`OpenTelemetry diag warnings/errors: ${warnings.length} (first: ${warnings[0]})`);
  console.log(`total measured time ${elapsed.toFixed(1)} s; load average at end: ${info.loadavgEnd}`);
  console.log('');

  const md = [];
  md.push(`**mcp-otel overhead** — ${info.date.slice(0, 10)}, ${info.cpu} (${info.cores} cores), Node ${info.node}, mcp-otel ${info.git}; ` +
    `load avg ${info.loadavg} → ${info.loadavgEnd}; ${opts.rounds} interleaved rounds, medians; ` +
    `sampler ${opts.sampledOut ? 'AlwaysOff (metrics only)' : 'AlwaysOn (100 %)'}.`);
  md.push('');
  if (paired) {
    md.push('| Workload | ops/run | uninstrumented ops/s | instrumented ops/s | ratio (min–max) | target ≥ 0.90 | added µs/request | CPU µs/request (uninstr. → instr.) |');
    md.push('|---|---:|---:|---:|---:|:---:|---:|---:|');
    for (const r of Object.values(results)) {
      const d = r.vsBaseline[main];
      md.push(
        `| ${r.title} | ${fmt(r.ops)} | ${fmt(r[base].opsPerSec)} | ${fmt(r[main].opsPerSec)} |` +
          ` ${d.ratio.toFixed(3)} (${d.ratioMin.toFixed(2)}–${d.ratioMax.toFixed(2)}) | ${d.ratio >= 0.9 ? 'met' : 'missed'} |` +
          ` ${d.addedUs.toFixed(1)} | ${r[base].cpuUsPerOp.toFixed(1)} → ${r[main].cpuUsPerOp.toFixed(1)} (${signed(d.addedCpuUs)}) |`,
      );
    }
    md.push('');
    md.push('ratio = median over rounds of instrumented/uninstrumented ops/s measured back to back; ' +
      'added µs/request = median over rounds of the difference in wall time per request (concurrent workload: per completed request); ' +
      'CPU µs/request = process CPU time (user+system, all threads incl. GC) per request, medians, median paired difference in brackets.');
    const extra = variants.filter((v) => v !== base && v !== main);
    if (extra.length) {
      md.push('');
      md.push('| Workload | variant | ops/s | ratio vs uninstrumented (min–max) | added µs/request | added CPU µs/request |');
      md.push('|---|---|---:|---:|---:|---:|');
      for (const r of Object.values(results)) {
        for (const v of [main, ...extra]) {
          const d = r.vsBaseline[v];
          md.push(`| ${r.title} | ${v} | ${fmt(r[v].opsPerSec)} | ${d.ratio.toFixed(2)} (${d.ratioMin.toFixed(2)}–${d.ratioMax.toFixed(2)}) | ${d.addedUs.toFixed(1)} | ${d.addedCpuUs.toFixed(1)} |`);
        }
      }
      if (extra.includes(VARIANTS.otel)) {
        md.push('', 'otel-only = OTel SDK registered and its AsyncLocalStorage active (promise hooks on), mcp-otel disabled.');
        md.push('', '| Workload | instrumented / otel-only (min–max) | added µs/request | added CPU µs/request |', '|---|---:|---:|---:|');
        for (const r of Object.values(results)) {
          const d = r.vsOtel;
          md.push(`| ${r.title} | ${d.ratio.toFixed(2)} (${d.ratioMin.toFixed(2)}–${d.ratioMax.toFixed(2)}) | ${d.addedUs.toFixed(1)} | ${d.addedCpuUs.toFixed(1)} |`);
        }
      }
      if (extra.includes(VARIANTS.floor)) {
        md.push('', 'floor = a stand-in that only wraps the request handlers with one SERVER span (10 attributes, active) and one duration point (4 attributes).');
        md.push('', '| Workload | added µs: instrumented / floor | added CPU µs: instrumented / floor | target ≤ 1.10 | throughput instrumented / floor |', '|---|---:|---:|:---:|---:|');
        for (const r of Object.values(results)) {
          const d = r.vsFloor;
          md.push(`| ${r.title} | ${d.addedRatio.toFixed(2)} | ${d.addedCpuRatio.toFixed(2)} | ${d.addedRatio <= 1.1 ? 'met' : 'missed'} | ${d.throughputRatio.toFixed(2)} |`);
        }
      }
      if (extra.includes(VARIANTS.alt)) md.push('', `alt = instrumentation from ${altDistDir}.`);
    }
  } else {
    md.push('| Workload | ops/run | variant | ops/s | µs/request | CPU µs/request |');
    md.push('|---|---:|---|---:|---:|---:|');
    for (const r of Object.values(results)) {
      for (const v of variants) md.push(`| ${r.title} | ${fmt(r.ops)} | ${v} | ${fmt(r[v].opsPerSec)} | ${r[v].usPerOp.toFixed(1)} | ${r[v].cpuUsPerOp.toFixed(1)} |`);
    }
  }
  console.log(md.join('\n'));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
