// MCP latency and server memory while the collector misbehaves. A stdio MCP server (test/fixtures/esm-app.mjs)
// runs in a child process under `--import mcp-otel/register`, exporting OTLP/HTTP to a collector stand-in on
// 127.0.0.1 that answers normally, with 500 or 429, after 5 s, by resetting the connection, or not at all.
// For each phase the client makes sequential tools/call requests and the table shows their latency and the
// child's RSS after the phase. Run: node bench/faults.mjs [--calls 2000] [--unreachable-batches 5]
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const CALLS = arg('calls', 2000);
const DOWN_BATCHES = arg('unreachable-batches', 5);

let mode = { kind: 'ok' };
let exports = 0;
const collector = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    exports++;
    if (mode.kind === 'ok') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    else if (mode.kind === 'status') res.writeHead(mode.status).end();
    else if (mode.kind === 'reset') req.socket.destroy();
    else if (mode.kind === 'slow') setTimeout(() => res.headersSent || res.writeHead(503).end(), 5000).unref();
  });
});
await new Promise((r) => collector.listen(0, '127.0.0.1', r));
const up = `http://127.0.0.1:${collector.address().port}`;

async function startServer(endpoint) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'mcp-otel/register', path.join(root, 'test/fixtures/esm-app.mjs')],
    cwd: root,
    env: {
      PATH: process.env.PATH,
      OTEL_SERVICE_NAME: 'faults-bench',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_TIMEOUT: '2000',
      OTEL_METRIC_EXPORT_INTERVAL: '1000',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_LOGS_EXPORTER: 'none',
    },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'faults-bench', version: '1' });
  await client.connect(transport);
  return { client, pid: transport.pid, close: () => client.close() };
}

const rssMb = (pid) => Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim()) / 1024;
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function phase(server, label) {
  const times = [];
  let failed = 0;
  for (let i = 0; i < CALLS; i++) {
    const t = performance.now();
    const r = await server.client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
    times.push(performance.now() - t);
    if (r.content?.[0]?.text !== String(i + 1)) failed++;
  }
  await new Promise((r) => setTimeout(r, 1500)); // let exports meet the fault
  times.sort((a, b) => a - b);
  return { label, p50: pct(times, 50), p99: pct(times, 99), max: times.at(-1), failed, rss: rssMb(server.pid) };
}

const rows = [];
const server = await startServer(up);
for (const [label, m] of [
  ['collector up', { kind: 'ok' }],
  ['500 Internal Server Error', { kind: 'status', status: 500 }],
  ['429 Too Many Requests', { kind: 'status', status: 429 }],
  ['answers after 5 s', { kind: 'slow' }],
  ['connection reset', { kind: 'reset' }],
  ['collector up again', { kind: 'ok' }],
]) {
  mode = m;
  rows.push(await phase(server, label));
}
await server.close();
const down = await startServer('http://127.0.0.1:9');
for (let b = 1; b <= DOWN_BATCHES; b++) rows.push(await phase(down, `unreachable (connection refused), batch ${b}`));
await down.close();
collector.close();

console.log(`\n${CALLS} sequential tools/call per phase, stdio, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}`);
console.log('| Collector | p50 ms | p99 ms | max ms | failed | server RSS after (MB) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.label} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.max.toFixed(1)} | ${r.failed} | ${r.rss.toFixed(1)} |`);
console.log(`export requests the collector saw: ${exports}`);
