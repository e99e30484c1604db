// An MCP server over Streamable HTTP (stateful sessions) for trying mcp-otel out.
// It does not touch OpenTelemetry itself: start it under the register entry.
//
//   OTEL_SERVICE_NAME=mcp-example \
//   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 \
//   node --import mcp-otel/register examples/server.mjs
//
// Without a collector, expose the metrics for Prometheus to scrape instead:
//
//   OTEL_METRICS_EXPORTER=prometheus OTEL_TRACES_EXPORTER=none \
//   node --import mcp-otel/register examples/server.mjs     # metrics on http://localhost:9464/metrics
//
// Environment:
//   PORT                                          HTTP port (default 3000); the endpoint is /mcp (POST, GET, DELETE)
//   HOST                                          listen address (default 127.0.0.1)
//   OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT mcp-otel's idle timeout in milliseconds (default 30 min): a session
//                                                 with no message for this long ends with reason `timeout`. Short
//                                                 values (e.g. 20000) make timeouts show up quickly in a demo.
//   SESSION_REAP_AFTER_MS                         this server closes transports with no HTTP request for this long
//                                                 (default: twice the idle timeout, so that mcp-otel has already
//                                                 ended them as `timeout`); frees clients that vanished without DELETE.
//
// What it serves: a long tail of tools with different latencies and failure modes (fast lookups, slower searches,
// tools that fail with `isError` or throw, one that is occasionally very slow), a few resources and prompts (one of
// each fails now and then with a JSON-RPC internal error), and mcp-otel's `my_activity` tool.
//
// Session ends, as mcp-otel reports them: HTTP DELETE → `client_disconnect`; no activity for the idle timeout →
// `timeout`; SIGTERM/SIGINT → `server_shutdown`; a client that breaks the protocol on its session (malformed JSON,
// an unsupported protocol version) gets its session closed by this server → `error`.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { registerActivityTool } from 'mcp-otel';
import { z } from 'zod';

const PORT = Number(process.env.PORT || 3000);
const HOST = process.env.HOST || '127.0.0.1';
const IDLE_TIMEOUT_MS = Number(process.env.OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT || 30 * 60 * 1000);
const REAP_AFTER_MS = Number(process.env.SESSION_REAP_AFTER_MS || Math.max(2 * IDLE_TIMEOUT_MS, 10_000));
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const log = (...args) => console.log(new Date().toISOString(), '[server]', ...args);

// ---------------------------------------------------------------------------------------------------------------
// Simulated work

/** A log-normal latency around `median` ms; `spread` is the multiplicative standard deviation. */
function latency(median, spread = 1.6) {
  const u = 1 - Math.random();
  const v = Math.random();
  const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.max(0, median * Math.exp(Math.log(spread) * normal));
}

/** Waits `ms`, or less if the request is cancelled (the SDK aborts `signal` on notifications/cancelled or close). */
function work(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

const chance = (p) => Math.random() < p;
const text = (value) => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }] });
const toolError = (message) => ({ isError: true, content: [{ type: 'text', text: message }] });

const CITIES = ['Amsterdam', 'Berlin', 'Lisbon', 'Nairobi', 'Osaka', 'Oslo', 'Paris', 'Quito', 'Seoul', 'Toronto'];
const DOC_TOPICS = ['getting-started', 'configuration', 'deployment', 'troubleshooting', 'api-reference'];

// ---------------------------------------------------------------------------------------------------------------
// The MCP server: one McpServer per session, as in the SDK's stateful Streamable HTTP example.

function buildServer() {
  const server = new McpServer({ name: 'mcp-otel-example', version: '1.0.0' }, { capabilities: { logging: {} } });

  // Fast lookups
  server.registerTool('get_time', { description: 'Current time in a time zone.', inputSchema: { timezone: z.string().optional() } }, async ({ timezone }, { signal }) => {
    await work(latency(1, 2), signal);
    try {
      return text(new Date().toLocaleString('en-GB', { timeZone: timezone || 'UTC' }));
    } catch {
      return toolError(`Unknown time zone: ${timezone}`);
    }
  });
  server.registerTool('lookup_user', { description: 'Finds a user by id.', inputSchema: { user_id: z.string() } }, async ({ user_id }, { signal }) => {
    await work(latency(6), signal);
    return text({ id: user_id, name: `User ${user_id}`, plan: chance(0.2) ? 'pro' : 'free' });
  });
  server.registerTool('calculate', { description: 'Evaluates + - * / on numbers.', inputSchema: { expression: z.string() } }, async ({ expression }) => {
    if (!/^[\d\s+\-*/().]+$/.test(expression)) return toolError('Only numbers and + - * / ( ) are allowed');
    try {
      const value = Function(`"use strict"; return (${expression});`)();
      return Number.isFinite(value) ? text(String(value)) : toolError('Result is not a finite number');
    } catch {
      return toolError('Malformed expression');
    }
  });
  server.registerTool('git_status', { description: 'Working tree status of the project.' }, async ({ signal }) => {
    await work(latency(12), signal);
    return text({ branch: 'main', modified: Math.floor(Math.random() * 5), untracked: Math.floor(Math.random() * 3) });
  });
  server.registerTool('read_file', { description: 'Reads a file of the project.', inputSchema: { path: z.string() } }, async ({ path }, { signal }) => {
    await work(latency(4), signal);
    if (path.includes('..')) return toolError('Path escapes the project');
    if (chance(0.05)) return toolError(`ENOENT: no such file ${path}`);
    return text(`// ${path}\nexport const answer = 42;\n`);
  });

  // Calls to "remote" services
  server.registerTool('get_weather', { description: 'Weather for a city.', inputSchema: { city: z.string() } }, async ({ city }, { signal }) => {
    await work(latency(40), signal);
    if (chance(0.03)) return toolError('Weather service unavailable (503)');
    if (!CITIES.includes(city)) return toolError(`Unknown city: ${city}`);
    return text({ city, temperatureC: Math.round(5 + Math.random() * 25), sky: chance(0.5) ? 'clear' : 'cloudy' });
  });
  server.registerTool('list_issues', { description: 'Open issues of a repository.', inputSchema: { repo: z.string(), state: z.enum(['open', 'closed']).optional() } }, async ({ repo, state }, { signal }) => {
    await work(latency(70), signal);
    return text(Array.from({ length: 3 }, (_, i) => ({ repo, number: 100 + i, state: state ?? 'open' })));
  });
  server.registerTool('create_issue', { description: 'Creates an issue.', inputSchema: { repo: z.string(), title: z.string(), body: z.string().optional() } }, async ({ repo, title }, { signal }) => {
    await work(latency(120), signal);
    if (title.trim().length < 5 || chance(0.06)) return toolError('Validation failed: title is too short or a duplicate');
    return text({ repo, number: 1000 + Math.floor(Math.random() * 9000), title });
  });
  server.registerTool('send_notification', { description: 'Posts a message to a chat channel.', inputSchema: { channel: z.string(), message: z.string() } }, async ({ channel }, { signal }) => {
    await work(latency(35), signal);
    return text(`sent to #${channel}`);
  });
  server.registerTool('fetch_url', { description: 'Fetches a web page (simulated).', inputSchema: { url: z.string().url() } }, async ({ url }, { signal }) => {
    const ms = latency(400, 2.2);
    await work(Math.min(ms, 3000), signal);
    if (ms > 3000 || chance(0.05)) return toolError(`Timed out fetching ${url}`);
    return text(`<html><title>${url}</title></html>`);
  });

  // Searches
  server.registerTool('search_docs', { description: 'Full-text search over the documentation.', inputSchema: { query: z.string(), limit: z.number().int().min(1).max(50).optional() } }, async ({ query, limit }, { signal }) => {
    await work(latency(180), signal);
    return text(DOC_TOPICS.slice(0, Math.min(limit ?? 3, DOC_TOPICS.length)).map((t) => ({ topic: t, match: query })));
  });
  server.registerTool('search_code', { description: 'Searches the code base.', inputSchema: { query: z.string() } }, async ({ query }, { signal }) => {
    await work(latency(350, 1.8), signal);
    return text([{ file: 'src/index.ts', line: 12, match: query }]);
  });
  server.registerTool('run_sql', { description: 'Runs a read-only SQL query.', inputSchema: { query: z.string() } }, async ({ query }, { signal }) => {
    await work(latency(250, 2), signal);
    if (!/^\s*select\b/i.test(query)) return toolError('Only SELECT statements are allowed');
    if (chance(0.05)) throw new Error('connection to the database was reset'); // the SDK turns this into isError
    return text({ rows: Math.floor(Math.random() * 100) });
  });

  // Slow work
  server.registerTool('summarize', { description: 'Summarizes a text.', inputSchema: { text: z.string() } }, async ({ text: input }, { signal }) => {
    await work(latency(600, 1.5), signal);
    return text(input.split(/\s+/).slice(0, 12).join(' ') + ' …');
  });
  server.registerTool('translate', { description: 'Translates a text.', inputSchema: { text: z.string(), target: z.string() } }, async ({ text: input, target }, { signal }) => {
    await work(latency(400, 1.5), signal);
    return text(`[${target}] ${input}`);
  });
  server.registerTool('generate_report', { description: 'Builds a usage report (sometimes very slow).', inputSchema: { topic: z.string() } }, async ({ topic }, { signal }) => {
    // Usually 1–3 s; about one call in 25 hits a cold cache and takes 8–15 s.
    await work(chance(0.04) ? 8000 + Math.random() * 7000 : latency(1500, 1.4), signal);
    return text(`Report on ${topic}: all good.`);
  });
  server.registerTool('deploy_preview', { description: 'Deploys a preview environment.', inputSchema: { branch: z.string() } }, async ({ branch }, { signal }) => {
    await work(latency(2500, 1.3), signal);
    if (chance(0.15)) throw new Error(`deployment of ${branch} failed: quota exceeded`);
    return text(`https://${branch.replace(/[^a-z0-9]+/gi, '-')}.preview.example.com`);
  });

  // mcp-otel's own tool: the caller's recent activity, identified by its session.
  registerActivityTool(server);

  // Resources
  server.registerResource('server-config', 'config://server', { mimeType: 'application/json', description: 'Server settings' }, async (uri) => ({
    contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ idleTimeoutMs: IDLE_TIMEOUT_MS }) }],
  }));
  server.registerResource('live-status', 'status://live', { mimeType: 'application/json', description: 'Live status of the backends (flaky)' }, async (uri, { signal }) => {
    await work(latency(60), signal);
    if (chance(0.2)) throw new Error('status backend unreachable'); // → JSON-RPC -32603
    return { contents: [{ uri: uri.href, text: JSON.stringify({ ok: true, at: Date.now() }) }] };
  });
  server.registerResource(
    'docs',
    new ResourceTemplate('docs://{topic}', {
      list: async () => ({ resources: DOC_TOPICS.map((t) => ({ uri: `docs://${t}`, name: t, mimeType: 'text/markdown' })) }),
      complete: { topic: (value) => DOC_TOPICS.filter((t) => t.startsWith(value)) },
    }),
    { mimeType: 'text/markdown', description: 'Documentation pages' },
    async (uri, { topic }, { signal }) => {
      await work(latency(15), signal);
      return { contents: [{ uri: uri.href, text: `# ${String(topic)}\n\nSee the README.` }] };
    },
  );

  // Prompts
  server.registerPrompt('code_review', { description: 'Review a piece of code.', argsSchema: { code: z.string(), language: z.string().optional() } }, ({ code, language }) => ({
    messages: [{ role: 'user', content: { type: 'text', text: `Review this ${language ?? ''} code:\n${code}` } }],
  }));
  server.registerPrompt('summarize_thread', { description: 'Summarize a discussion thread.', argsSchema: { thread_id: z.string() } }, async ({ thread_id }, { signal }) => {
    await work(latency(30), signal);
    return { messages: [{ role: 'user', content: { type: 'text', text: `Summarize thread ${thread_id}` } }] };
  });
  server.registerPrompt('incident_report', { description: 'Draft an incident report from live data (flaky).', argsSchema: { service: z.string() } }, async ({ service }, { signal }) => {
    await work(latency(80), signal);
    if (chance(0.2)) throw new Error('incident database timed out'); // → JSON-RPC -32603
    return { messages: [{ role: 'user', content: { type: 'text', text: `Write an incident report for ${service}` } }] };
  });

  return server;
}

// ---------------------------------------------------------------------------------------------------------------
// HTTP: /mcp with one transport per session, keyed by the Mcp-Session-Id header.

/** @type {Map<string, { server: McpServer, transport: StreamableHTTPServerTransport, lastSeen: number }>} */
const sessions = new Map();
let shuttingDown = false;

/** Transport errors that mean the client is speaking a broken protocol on this session: the server closes it. */
const FATAL_CLIENT_ERRORS = /^(Parse error|Invalid Request|Bad Request: Unsupported protocol version)/;

function sendJson(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}
const rpcError = (res, status, code, message) => sendJson(res, status, { jsonrpc: '2.0', error: { code, message }, id: null });

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

async function startSession(req, res) {
  let body;
  try {
    body = await readJson(req);
  } catch (err) {
    return err.status === 413 ? rpcError(res, 413, -32600, 'Request too large') : rpcError(res, 400, -32700, 'Parse error');
  }
  if (!isInitializeRequest(body)) return rpcError(res, 400, -32000, 'Bad Request: no valid session id');
  const server = buildServer();
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: () => randomUUID(),
    onsessioninitialized: (id) => {
      sessions.set(id, { server, transport, lastSeen: Date.now() });
    },
  });
  // Both handlers are set before connect(); the SDK chains its own after them.
  transport.onclose = () => {
    if (transport.sessionId) sessions.delete(transport.sessionId);
  };
  transport.onerror = (error) => {
    if (shuttingDown || !FATAL_CLIENT_ERRORS.test(String(error?.message))) return;
    // After the error was recorded and the 400 answered: close the session (mcp-otel: reason `error`).
    setImmediate(() => void transport.close().catch(() => {}));
  };
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

async function handleMcp(req, res) {
  const sessionId = req.headers['mcp-session-id'];
  if (typeof sessionId === 'string') {
    const session = sessions.get(sessionId);
    if (!session) return rpcError(res, 404, -32001, 'Session not found');
    session.lastSeen = Date.now();
    // The transport reads the body itself, so malformed JSON reaches it (and its onerror).
    return session.transport.handleRequest(req, res);
  }
  if (req.method === 'POST') return startSession(req, res);
  return rpcError(res, 400, -32000, 'Bad Request: Mcp-Session-Id header is required');
}

const httpServer = createServer((req, res) => {
  const { pathname } = new URL(req.url ?? '/', 'http://localhost');
  if (pathname === '/healthz') return sendJson(res, shuttingDown ? 503 : 200, { ok: !shuttingDown, sessions: sessions.size });
  if (pathname !== '/mcp') return sendJson(res, 404, { error: 'not found' });
  if (!['POST', 'GET', 'DELETE'].includes(req.method ?? '')) return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'POST, GET, DELETE' });
  if (shuttingDown) return rpcError(res, 503, -32000, 'Server is shutting down');
  handleMcp(req, res).catch((err) => {
    log('request failed:', err?.message ?? err);
    if (!res.headersSent) rpcError(res, 500, -32603, 'Internal server error');
    else res.destroy();
  });
});

// Clients that vanish without DELETE leave their transport behind: close it once mcp-otel has timed the session out.
const reaper = setInterval(() => {
  const now = Date.now();
  for (const [id, session] of sessions) {
    if (now - session.lastSeen < REAP_AFTER_MS) continue;
    sessions.delete(id);
    void session.transport.close().catch(() => {});
  }
}, Math.max(1000, Math.min(REAP_AFTER_MS / 4, 60_000)));
reaper.unref();

httpServer.listen(PORT, HOST, () => {
  const { port } = httpServer.address();
  log(`MCP server on http://${HOST}:${port}/mcp (idle timeout ${IDLE_TIMEOUT_MS} ms, transports reaped after ${REAP_AFTER_MS} ms)`);
});

async function shutdown(signal) {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`${signal}: closing ${sessions.size} session(s)`);
  clearInterval(reaper);
  const force = setTimeout(() => {
    log('shutdown took too long; exiting');
    process.exit(1);
  }, 10_000);
  force.unref();
  // server.close() ends each session with `server_shutdown` (mcp-otel's register entry also does on the signal).
  await Promise.allSettled([...sessions.values()].map(({ server }) => server.close()));
  sessions.clear();
  httpServer.closeAllConnections();
  await new Promise((resolve) => httpServer.close(() => resolve()));
  // Nothing is left on the event loop but the telemetry flush of the register entry; the process exits after it.
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
