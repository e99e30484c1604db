// `npm run demo`: the example MCP server under mcp-otel plus the load generator, on this machine.
//
// - With OTEL_EXPORTER_OTLP_ENDPOINT set (e.g. http://localhost:4318 for the Collector of docker-compose.yml),
//   the server exports traces and metrics there over OTLP, and this terminal only shows the load's progress.
// - Without it, the server exposes its metrics with the OpenTelemetry Prometheus exporter on a loopback port,
//   and every few seconds this terminal prints what the Grafana dashboards answer, computed from that real
//   /metrics output: requests by method, p95 latency per tool, active sessions, disconnect reasons, top clients
//   (tracking ID and client type) and the error ratio.
//
// Ctrl-C (or q) stops the load generator, then the server (sessions end with `server_shutdown`), and exits with 0.
//
// Environment (all optional): PORT (server port; default: a free one), DEMO_IDLE_TIMEOUT_MS (the server's
// session idle timeout, default 20000, so that `timeout` disconnects show up within a minute), DEMO_INTERVAL_SECONDS
// (refresh, default 5), DEMO_WINDOW_SECONDS (rate window, default 60), DEMO_DURATION_SECONDS (stop by itself after
// this long; default 0 = until Ctrl-C), the LOAD_* variables of examples/load.mjs, and the standard OTEL_* ones.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const env = process.env;
const INTERVAL_SECONDS = Number(env.DEMO_INTERVAL_SECONDS || 5);
const WINDOW_SECONDS = Number(env.DEMO_WINDOW_SECONDS || 60);
const DURATION_SECONDS = Number(env.DEMO_DURATION_SECONDS || 0);
const IDLE_TIMEOUT_MS = env.OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT || env.DEMO_IDLE_TIMEOUT_MS || '20000';
const OTLP = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT);
const tty = process.stdout.isTTY;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Children

const children = new Map(); // name -> { proc, exited: Promise<{code, signal}> }
const logTail = [];
let stopping = false;

function remember(line) {
  if (!line.trim()) return;
  if (!tty || OTLP || stopping) console.log(line);
  logTail.push(line);
  if (logTail.length > 6) logTail.shift();
}

function start(name, args, childEnv, onLine = () => {}) {
  const proc = spawn(process.execPath, args, { cwd: root, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const stream of [proc.stdout, proc.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      onLine(line);
      remember(line);
    });
  }
  const exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  children.set(name, { proc, exited });
  void exited.then(({ code, signal }) => {
    if (stopping) return;
    if (name === 'load' && code === 0) {
      remember(`[demo] the load generator finished; press Ctrl-C to stop the server`);
      return;
    }
    console.error(`[demo] ${name} exited unexpectedly (code ${code}, signal ${signal}); stopping`);
    void stop(1);
  });
  return proc;
}

/** Asks a child to stop (SIGTERM), waits, kills it if it does not. */
async function stopChild(name, ms = 12_000) {
  const child = children.get(name);
  if (!child || child.proc.exitCode !== null || child.proc.signalCode !== null) return;
  child.proc.kill('SIGTERM');
  const timer = setTimeout(() => child.proc.kill('SIGKILL'), ms);
  await child.exited;
  clearTimeout(timer);
}

let finalCode = 0;
let ticker;
let durationTimer;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  finalCode = code;
  clearInterval(ticker);
  clearTimeout(durationTimer);
  if (process.stdin.isTTY) {
    process.stdin.setRawMode(false);
    process.stdin.pause();
  }
  console.log('\n[demo] stopping: load generator first, then the server');
  // The load stops first so that the server's shutdown ends the remaining sessions with `server_shutdown`.
  await stopChild('load');
  await stopChild('server');
  console.log('[demo] stopped');
  process.exit(finalCode);
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the server's metrics (Prometheus text exposition format) and answering the dashboards' questions

/** Parses Prometheus text exposition into samples; duration histograms are named without a `_seconds` suffix. */
function parseExposition(text) {
  const samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const name = m[1].replace(/_duration_seconds_/, '_duration_');
    const labels = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    const key = name + JSON.stringify(Object.entries(labels).sort());
    samples.set(key, { name, labels, value: Number(m[3]) });
  }
  return samples;
}

const snapshots = []; // { t, samples }

/** The snapshot closest to `WINDOW_SECONDS` ago (or the first one). */
function baseline(now) {
  let base = snapshots[0];
  for (const s of snapshots) if (now.t - s.t >= WINDOW_SECONDS * 1000) base = s;
  return base;
}

/** Sums the increase of counter series `name` over the window, grouped by `groupBy(labels)` (undefined skips). */
function increase(now, base, name, groupBy = () => '') {
  const out = new Map();
  for (const [key, s] of now.samples) {
    if (s.name !== name) continue;
    const group = groupBy(s.labels);
    if (group === undefined) continue;
    const before = base === now ? 0 : (base.samples.get(key)?.value ?? 0);
    const delta = s.value >= before ? s.value - before : s.value; // a reset restarts from 0
    out.set(group, (out.get(group) ?? 0) + delta);
  }
  return out;
}

function current(now, name, groupBy = () => '') {
  const out = new Map();
  for (const s of now.samples.values()) {
    if (s.name !== name) continue;
    const group = groupBy(s.labels);
    if (group !== undefined) out.set(group, (out.get(group) ?? 0) + s.value);
  }
  return out;
}

/** histogram_quantile over cumulative bucket counts `[{le, count}]`, as Prometheus computes it. */
function quantile(q, buckets) {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const total = sorted.at(-1)?.count ?? 0;
  if (total === 0) return NaN;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const { le, count } of sorted) {
    if (count >= rank) {
      if (le === Infinity) return prevLe; // in the +Inf bucket: the highest finite bound
      return prevLe + (le - prevLe) * ((rank - prevCount) / Math.max(count - prevCount, Number.EPSILON));
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

function latencyByTool(now, base) {
  const perBucket = increase(now, base, 'mcp_server_operation_duration_bucket', (l) =>
    l.mcp_method_name === 'tools/call' && l.gen_ai_tool_name ? `${l.gen_ai_tool_name}\u0000${l.le}` : undefined,
  );
  const tools = new Map();
  for (const [key, count] of perBucket) {
    const [tool, le] = key.split('\u0000');
    const list = tools.get(tool) ?? [];
    list.push({ le: le === '+Inf' ? Infinity : Number(le), count });
    tools.set(tool, list);
  }
  return tools;
}

const fmtRate = (n, seconds) => `${(n / seconds).toFixed(2)}/s`;
const fmtPct = (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)}%` : '–');
const fmtSecs = (s) => (!Number.isFinite(s) ? '–' : s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const sortDesc = (map) => [...map.entries()].sort((a, b) => b[1] - a[1]);

function render(now, base, startedAt, serverUrl) {
  const seconds = Math.max((now.t - base.t) / 1000, 1e-9);
  const windowText = base === now ? 'since start' : `last ${Math.round(seconds)} s`;
  const lines = [];
  const uptime = Math.round((now.t - startedAt) / 1000);
  lines.push(`mcp-otel demo · up ${Math.floor(uptime / 60)}m${String(uptime % 60).padStart(2, '0')}s · ${serverUrl} · idle timeout ${Number(IDLE_TIMEOUT_MS) / 1000} s · ${windowText}`);
  lines.push(`(from the server's own /metrics, OpenTelemetry Prometheus exporter; Ctrl-C or q to stop)`);
  if (base === now) {
    lines.push('', 'Collecting a second sample to compute rates…');
    return lines;
  }

  const ops = 'mcp_server_operation_duration_count';
  const byMethod = increase(now, base, ops, (l) => l.mcp_method_name);
  const errorsByMethod = increase(now, base, ops, (l) => (l.error_type ? l.mcp_method_name : undefined));
  lines.push('', 'Requests by method                    rate    errors');
  for (const [method, n] of sortDesc(byMethod).slice(0, 10)) {
    lines.push(`  ${pad(method, 32)} ${lpad(fmtRate(n, seconds), 9)}  ${lpad(fmtPct((errorsByMethod.get(method) ?? 0) / n), 6)}`);
  }

  const tools = latencyByTool(now, base);
  const toolCalls = increase(now, base, ops, (l) => (l.mcp_method_name === 'tools/call' ? l.gen_ai_tool_name : undefined));
  const toolErrors = increase(now, base, ops, (l) => (l.mcp_method_name === 'tools/call' && l.error_type ? l.gen_ai_tool_name : undefined));
  const rows = [...tools.entries()].map(([tool, b]) => ({ tool, p95: quantile(0.95, b), p50: quantile(0.5, b), calls: toolCalls.get(tool) ?? 0 }));
  rows.sort((a, b) => (Number.isFinite(b.p95) ? b.p95 : -1) - (Number.isFinite(a.p95) ? a.p95 : -1));
  lines.push('', 'Tool latency (slowest p95 first)       p95        p50    calls  errors');
  for (const r of rows.filter((r) => r.calls > 0).slice(0, 10)) {
    lines.push(`  ${pad(r.tool, 32)} ${lpad(fmtSecs(r.p95), 9)}  ${lpad(fmtSecs(r.p50), 9)} ${lpad(Math.round(r.calls), 7)}  ${lpad(fmtPct((toolErrors.get(r.tool) ?? 0) / r.calls), 6)}`);
  }

  const active = current(now, 'mcp_server_session_active', (l) => l.mcp_client_type);
  const activeTotal = [...active.values()].reduce((a, b) => a + b, 0);
  const started = increase(now, base, 'mcp_server_session_started_total', (l) => l.mcp_client_returning);
  const startedTotal = [...started.values()].reduce((a, b) => a + b, 0);
  lines.push('', `Active sessions: ${activeTotal}   ${sortDesc(active).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(' · ')}`);
  lines.push(`Sessions started: ${fmtRate(startedTotal, seconds)} (${fmtPct((started.get('true') ?? 0) / startedTotal)} by returning clients)`);
  const ended = increase(now, base, 'mcp_server_session_duration_count', (l) => l.mcp_session_disconnect_reason);
  const endedAll = current(now, 'mcp_server_session_duration_count', (l) => l.mcp_session_disconnect_reason);
  const reasons = ['client_disconnect', 'timeout', 'error', 'server_shutdown'];
  lines.push(`Disconnect reasons: ${reasons.map((r) => `${r} ${ended.get(r) ?? 0}`).join(' · ')}   (since start: ${reasons.map((r) => endedAll.get(r) ?? 0).join('/')})`);

  const perClient = increase(now, base, 'mcp_server_client_operations_total', (l) => `${l.mcp_client_tracking_id}\u0000${l.mcp_client_type}`);
  const perClientErrors = increase(now, base, 'mcp_server_client_operations_total', (l) => (l.error_type ? `${l.mcp_client_tracking_id}\u0000${l.mcp_client_type}` : undefined));
  lines.push('', 'Top clients (tracking id)        client type          rate    errors');
  for (const [key, n] of sortDesc(perClient).slice(0, 6)) {
    const [id, type] = key.split('\u0000');
    lines.push(`  ${pad(id, 30)} ${pad(type, 15)} ${lpad(fmtRate(n, seconds), 9)}  ${lpad(fmtPct((perClientErrors.get(key) ?? 0) / n), 6)}`);
  }

  const total = [...byMethod.values()].reduce((a, b) => a + b, 0);
  const errorTypes = increase(now, base, ops, (l) => l.error_type || undefined);
  const errorTotal = [...errorTypes.values()].reduce((a, b) => a + b, 0);
  const callerFaults = increase(now, base, ops, (l) => (!l.error_type && l.rpc_response_status_code ? l.rpc_response_status_code : undefined));
  lines.push('', `Error ratio: ${fmtPct(errorTotal / total)} of ${Math.round(total)} operations   ${sortDesc(errorTypes).map(([t, n]) => `${t} ${n}`).join(' · ')}`);
  lines.push(`Caller faults (status code, no error.type): ${sortDesc(callerFaults).map(([c, n]) => `${c} ${n}`).join(' · ') || 'none'}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------
// Main

// Without PORT the server picks a free port itself and logs it (no window in which another process can take a
// port chosen for it); the exporter's port has to be chosen here.
let serverPort = Number(env.PORT) || 0;
const metricsPort = OTLP ? undefined : await freePort();
let serverUrl = '';

const serverEnv = {
  ...env,
  PORT: String(serverPort),
  OTEL_SERVICE_NAME: env.OTEL_SERVICE_NAME || 'mcp-otel-demo',
  OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT: IDLE_TIMEOUT_MS,
};
if (OTLP) {
  serverEnv.OTEL_METRIC_EXPORT_INTERVAL = env.OTEL_METRIC_EXPORT_INTERVAL || '10000';
} else {
  Object.assign(serverEnv, {
    OTEL_METRICS_EXPORTER: 'prometheus',
    OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
    OTEL_EXPORTER_PROMETHEUS_PORT: String(metricsPort),
    OTEL_TRACES_EXPORTER: 'none',
    OTEL_LOGS_EXPORTER: 'none',
  });
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
// In a terminal, Ctrl-C is read as a key rather than delivered as SIGINT to the whole process group, so that
// `npm run demo` and its shell are not interrupted either: the demo stops its children itself and exits with 0.
if (process.stdin.isTTY) {
  process.stdin.setRawMode(true);
  process.stdin.on('data', (keys) => {
    if (keys.includes(0x03) || keys.includes(0x71) || keys.includes(0x04)) void stop(0); // Ctrl-C, q, Ctrl-D
  });
}

console.log(
  OTLP
    ? `[demo] telemetry goes to ${env.OTEL_EXPORTER_OTLP_ENDPOINT} (OTLP)`
    : `[demo] no OTEL_EXPORTER_OTLP_ENDPOINT: reading the server's metrics from http://127.0.0.1:${metricsPort}/metrics`,
);
console.log(`[demo] starting the example server (examples/server.mjs) under --import mcp-otel/register on ${serverPort ? `port ${serverPort}` : 'a free port'}…`);
start('server', ['--import', 'mcp-otel/register', join(here, 'server.mjs')], serverEnv, (line) => {
  serverPort ||= Number(/MCP server on http:\/\/[^/]+:(\d+)\/mcp/.exec(line)?.[1] ?? 0);
});

// Wait until the server answers.
const deadline = Date.now() + 20_000;
for (;;) {
  if (stopping) await new Promise(() => {});
  try {
    const res = serverPort ? await fetch(`http://127.0.0.1:${serverPort}/healthz`) : undefined;
    if (res?.ok) break;
  } catch {
    // not listening yet
  }
  if (Date.now() > deadline) {
    console.error('[demo] the server did not start within 20 s');
    await stop(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}

serverUrl = `http://127.0.0.1:${serverPort}/mcp`;
console.log(`[demo] server ready on ${serverUrl}; starting the load generator (examples/load.mjs)${DURATION_SECONDS > 0 ? `, for ${DURATION_SECONDS} s` : ', until Ctrl-C'}`);
start('load', [join(here, 'load.mjs')], {
  ...env,
  MCP_URL: serverUrl,
  LOAD_SESSIONS_PER_MINUTE: env.LOAD_SESSIONS_PER_MINUTE || '40',
  LOAD_REPORT_SECONDS: env.LOAD_REPORT_SECONDS || (OTLP ? '15' : '0'),
});

const startedAt = Date.now();
if (DURATION_SECONDS > 0) durationTimer = setTimeout(() => void stop(0), DURATION_SECONDS * 1000);

async function tick() {
  let text;
  try {
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    text = await res.text();
  } catch (err) {
    remember(`[demo] could not read metrics: ${err.message}`);
    return;
  }
  if (stopping) return;
  const now = { t: Date.now(), samples: parseExposition(text) };
  snapshots.push(now);
  while (snapshots.length > 2 && now.t - snapshots[1].t >= WINDOW_SECONDS * 1000) snapshots.shift();
  const lines = render(now, baseline(now), startedAt, serverUrl);
  if (tty) {
    lines.push('', ...logTail.map((l) => `  ${l}`));
    process.stdout.write('\x1b[2J\x1b[H' + lines.join('\n') + '\n');
  } else {
    console.log(['', '─'.repeat(100), ...lines].join('\n'));
  }
}

if (!OTLP) {
  await tick();
  ticker = setInterval(() => void tick(), INTERVAL_SECONDS * 1000);
}
