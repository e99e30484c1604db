// Session churn: N sessions opened, used and closed against an instrumented McpServer in one process, with
// the heap measured after GC at checkpoints. Run with: node --expose-gc bench/churn.mjs [--sessions 10000]
// [--json FILE] (bench/run.mjs runs it so and puts the result in its summary). Progress goes to stderr.
import { writeFileSync } from 'node:fs';
import { metrics, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { NoopSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as serverModule from '@modelcontextprotocol/sdk/server/index.js';
import { z } from 'zod';
import { McpInstrumentation } from '../dist/esm/index.mjs';

if (typeof globalThis.gc !== 'function') {
  console.error('run with: node --expose-gc bench/churn.mjs');
  process.exit(2);
}
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SESSIONS = arg('sessions', 10_000);
const jsonIndex = process.argv.indexOf('--json');
const JSON_FILE = jsonIndex > 0 ? process.argv[jsonIndex + 1] : undefined;
const CLIENTS = arg('clients', 50);
const STARTED_AT = Number(process.env.BENCH_STARTED_AT ?? Date.now()); // bench/run.mjs's clock, for progress lines

trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new NoopSpanProcessor()] }));
metrics.setGlobalMeterProvider(new MeterProvider());
const instrumentation = new McpInstrumentation({ trackingSecret: 'churn', client: false }); // default activity store: 200 clients x 100 activities
// (client: false: the churn's MCP clients live in this process; a server's heap would not hold their telemetry)
instrumentation.instrument(serverModule);

async function session(i) {
  const server = new McpServer({ name: 'churn', version: '1' });
  server.registerTool('add', { inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }));
  const [ct, st] = InMemoryTransport.createLinkedPair();
  await server.connect(st);
  const client = new Client({ name: `client-${i % CLIENTS}`, version: '1' });
  await client.connect(ct);
  await client.callTool({ name: 'add', arguments: { a: i, b: 1 } });
  await client.close();
  await server.close();
}

async function heap() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().heapUsed;
}

const rows = [];
const step = Math.max(1, Math.floor(SESSIONS / 5));
let done = 0;
const start = await heap();
rows.push([0, start]);
while (done < SESSIONS) {
  for (let i = 0; i < step && done < SESSIONS; i++, done++) await session(done);
  rows.push([done, await heap()]);
  const t = (Date.now() - STARTED_AT) / 1000;
  process.stderr.write(`[${String(Math.floor(t / 60)).padStart(2, '0')}:${(t % 60).toFixed(0).padStart(2, '0')}]   churn: ${done}/${SESSIONS} sessions closed, heap ${(rows.at(-1)[1] / 1e6).toFixed(1)} MB\n`);
}
console.log(`| sessions closed | heap after GC (MB) | growth per session since previous row (bytes) |`);
console.log(`|---:|---:|---:|`);
for (let i = 0; i < rows.length; i++) {
  const [n, h] = rows[i];
  const per = i === 0 ? '' : ((h - rows[i - 1][1]) / (n - rows[i - 1][0])).toFixed(0);
  console.log(`| ${n} | ${(h / 1e6).toFixed(1)} | ${per} |`);
}
const fillAt = rows[1];
const last = rows.at(-1);
const afterFill = (last[1] - fillAt[1]) / (last[0] - fillAt[0]);
console.log(`\nafter the first ${fillAt[0]} sessions (activity store filling): ${afterFill.toFixed(0)} bytes per further session`);
if (JSON_FILE) {
  writeFileSync(JSON_FILE, JSON.stringify({
    sessions: SESSIONS,
    clients: CLIENTS,
    fillSessions: fillAt[0],
    bytesPerSessionFill: Math.round((fillAt[1] - rows[0][1]) / fillAt[0]),
    bytesPerSessionAfterFill: Math.round(afterFill),
    rows: rows.map(([sessions, heapUsed]) => ({ sessions, heapUsed })),
  }));
}
