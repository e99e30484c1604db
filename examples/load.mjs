// A load generator that behaves like a population of MCP clients against the example server (or any server
// with the same tools): several client applications, users who come back, a long tail of tool popularity,
// mistakes (unknown tools and prompts, invalid arguments), and sessions that end in every way a real one does.
//
//   node examples/load.mjs                      # against http://127.0.0.1:3000/mcp until Ctrl-C
//
// Environment:
//   MCP_URL                    server endpoint (default http://127.0.0.1:3000/mcp)
//   LOAD_SESSIONS_PER_MINUTE   mean session arrival rate, Poisson (default 30)
//   LOAD_DURATION_SECONDS      stop starting sessions after this long, finish the open ones, exit; 0 = forever (default 0)
//   LOAD_CONCURRENCY           most sessions open at once; arrivals beyond it are skipped and counted (default 20)
//   LOAD_USERS                 size of the user population; each user keeps one client app and bearer token (default 40)
//   LOAD_THINK_MS              mean pause between two requests of a session (default 800)
//   LOAD_CALLS_PER_SESSION     mean number of requests after the handshake (default 6)
//   LOAD_REPORT_SECONDS        print a progress line this often; 0 = only the summary at the end (default 0)
//   LOAD_DEBUG                 set to 1 to log why sessions failed to connect
//
// How sessions end (the server's mcp-otel reports the reason):
//   delete    HTTP DELETE (terminateSession) then close                      → client_disconnect
//   inflight  DELETE while a slow tool call is still running                 → client_disconnect, call connection_closed
//   quiet     the client stops talking and goes away without DELETE          → timeout (after the server's idle timeout)
//   drop      the connection is cut with requests in flight (fetches aborted) → timeout; the cut-off call fails to send
//   error     a buggy client sends malformed JSON on its session             → error (the example server closes it)
// SIGINT/SIGTERM stop new sessions, end the open ones as planned (without pauses) and exit with code 0.
import { setMaxListeners } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

function num(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw} is not a non-negative number`);
  return n;
}

const MCP_URL = new URL(process.env.MCP_URL || 'http://127.0.0.1:3000/mcp');
const SESSIONS_PER_MINUTE = num('LOAD_SESSIONS_PER_MINUTE', 30);
const DURATION_SECONDS = num('LOAD_DURATION_SECONDS', 0);
const CONCURRENCY = Math.max(1, Math.floor(num('LOAD_CONCURRENCY', 20)));
const USERS = Math.max(1, Math.floor(num('LOAD_USERS', 40)));
const THINK_MS = num('LOAD_THINK_MS', 800);
const CALLS_PER_SESSION = Math.max(1, num('LOAD_CALLS_PER_SESSION', 6));
const REPORT_SECONDS = num('LOAD_REPORT_SECONDS', 0);

const log = (...args) => console.log(new Date().toISOString(), '[load]', ...args);

// ---------------------------------------------------------------------------------------------------------------
// Randomness

const chance = (p) => Math.random() < p;
const pick = (items) => items[Math.floor(Math.random() * items.length)];
const exponential = (mean) => -mean * Math.log(1 - Math.random());

function weighted(entries) {
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  let r = Math.random() * total;
  for (const [value, w] of entries) if ((r -= w) < 0) return value;
  return entries[entries.length - 1][0];
}

/** Zipf-like weights 1/rank^s: a few items take most of the traffic, the rest form a long tail. */
const zipf = (items, s) => items.map((item, i) => [item, 1 / (i + 1) ** s]);

// ---------------------------------------------------------------------------------------------------------------
// The population

const CLIENT_APPS = [
  // name as the app sends it in clientInfo, versions seen in the wild, share of users, whether users send a token
  { name: 'claude-code', versions: ['2.0.14', '2.0.21', '2.1.3'], share: 30, token: true, capabilities: { roots: { listChanged: true } } },
  { name: 'cursor-vscode', versions: ['1.0.0'], share: 20, token: true, capabilities: { roots: { listChanged: true } } },
  { name: 'Visual Studio Code', versions: ['1.104.2', '1.105.1'], share: 15, token: true, capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} } },
  { name: 'Zed', versions: ['0.207.4'], share: 8, token: true, capabilities: {} },
  { name: 'goose', versions: ['1.9.3'], share: 7, token: true, capabilities: { sampling: {} } },
  { name: 'mcp-inspector', versions: ['0.17.1'], share: 7, token: false, capabilities: { sampling: {}, elicitation: {}, roots: {} } },
  // An in-house agent nobody classifies (mcp.client.type `other`), and somewhat buggy.
  { name: 'acme-support-bot', versions: ['0.3.1'], share: 8, token: true, capabilities: {}, buggy: true },
  // A client that declares an empty name (mcp.client.type `unknown`).
  { name: '', versions: ['0.0.0'], share: 5, token: true, capabilities: {} },
];

// Users split between the apps by their share; each keeps its app, version and bearer token across sessions (so
// mcp-otel gives it the same tracking ID: a returning client). A session picks an app by its share, then one of
// the app's users, some of whom are far busier than others.
const APPS = (() => {
  const total = CLIENT_APPS.reduce((sum, a) => sum + a.share, 0);
  let next = 0;
  return CLIENT_APPS.map((app) => {
    const count = Math.max(1, Math.round((USERS * app.share) / total));
    const users = Array.from({ length: count }, (_, k) => {
      const id = next++;
      return { id, app, version: app.versions[k % app.versions.length], token: app.token ? `demo-user-${id}` : undefined };
    });
    return { app, users: zipf(users, 0.8) };
  });
})();
const pickUser = () => weighted(weighted(APPS.map((a) => [a, a.app.share])).users);

// Tools by popularity; the example server's names. Anything the server lists but this list lacks goes last.
const TOOL_RANKING = [
  'search_docs', 'read_file', 'get_weather', 'search_code', 'lookup_user', 'list_issues', 'get_time', 'calculate',
  'git_status', 'fetch_url', 'summarize', 'run_sql', 'create_issue', 'translate', 'my_activity', 'send_notification',
  'generate_report', 'deploy_preview',
];
const SLOW_TOOLS = ['search_code', 'summarize', 'translate', 'fetch_url', 'run_sql', 'generate_report', 'deploy_preview'];
const UNKNOWN_TOOLS = ['get_wether', 'search', 'delete_everything'];
const UNKNOWN_PROMPTS = ['review_code', 'daily_standup'];
const CITIES = ['Amsterdam', 'Berlin', 'Lisbon', 'Nairobi', 'Osaka', 'Oslo', 'Paris', 'Quito', 'Seoul', 'Toronto', 'Atlantis'];
const WORDS = ['latency', 'session', 'tracing', 'deploy', 'retry', 'cache', 'budget', 'schema', 'quota', 'index'];
const sentence = (n) => Array.from({ length: n }, () => pick(WORDS)).join(' ');

/** Valid arguments for a tool, or (rarely) invalid ones, as real clients send now and then. */
function toolArguments(tool) {
  if (chance(0.03)) return { unexpected: true }; // missing required arguments → tool_error
  switch (tool) {
    case 'get_time': return chance(0.5) ? {} : { timezone: pick(['UTC', 'Europe/Paris', 'Asia/Tokyo', 'Mars/Olympus']) };
    case 'lookup_user': return { user_id: String(1000 + Math.floor(Math.random() * 500)) };
    case 'calculate': return { expression: pick(['1 + 2 * 3', '(4 + 4) / 2', '2 ** 8', '10 / (5 - 5)', 'sqrt(2)']) };
    case 'read_file': return { path: pick(['src/index.ts', 'README.md', 'package.json', '../etc/passwd', 'src/server.ts']) };
    case 'get_weather': return { city: pick(CITIES) };
    case 'list_issues': return { repo: pick(['acme/api', 'acme/web']), state: pick(['open', 'closed']) };
    case 'create_issue': return { repo: 'acme/api', title: chance(0.1) ? 'bug' : `Fix ${sentence(3)}` };
    case 'send_notification': return { channel: pick(['ops', 'dev']), message: sentence(5) };
    case 'fetch_url': return { url: pick(['https://example.com', 'https://status.example.com', 'https://docs.example.com/api']) };
    case 'search_docs': return { query: sentence(2), limit: 1 + Math.floor(Math.random() * 5) };
    case 'search_code': return { query: pick(WORDS) };
    case 'run_sql': return { query: chance(0.05) ? 'DROP TABLE users' : 'SELECT count(*) FROM events' };
    case 'summarize': return { text: sentence(40) };
    case 'translate': return { text: sentence(8), target: pick(['de', 'fr', 'ja']) };
    case 'generate_report': return { topic: pick(['usage', 'costs', 'errors']) };
    case 'deploy_preview': return { branch: `feature/${pick(WORDS)}` };
    default: return {};
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Run state

const stats = {
  started: 0,
  skipped: 0,
  failedToConnect: 0,
  ended: { delete: 0, inflight: 0, quiet: 0, drop: 0, error: 0 },
  requests: 0,
  requestErrors: 0,
  toolErrors: 0,
};
const active = new Set();
const stopController = new AbortController();
const stopping = stopController.signal;
setMaxListeners(0, stopping); // every pausing session listens to it

/** Waits `ms`, or less once the run is stopping. */
function pause(ms) {
  if (stopping.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stopping.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stopping.addEventListener('abort', done, { once: true });
  });
}

/** Runs one request, counting its outcome; never throws. */
async function attempt(promise) {
  stats.requests++;
  try {
    const result = await promise;
    if (result?.isError) stats.toolErrors++;
    return result;
  } catch {
    stats.requestErrors++;
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One session

function endMode(user) {
  if (user.app.buggy && chance(0.35)) return 'error';
  return weighted([['delete', 52], ['inflight', 8], ['quiet', 18], ['drop', 14], ['error', 8]]);
}

async function runSession(user) {
  const headers = user.token ? { authorization: `Bearer ${user.token}` } : {};
  const transport = new StreamableHTTPClientTransport(MCP_URL, { requestInit: { headers } });
  const client = new Client({ name: user.app.name, version: user.version }, { capabilities: user.app.capabilities });
  client.onerror = () => {}; // stream errors after a cut or a server-side close are expected here
  const mode = endMode(user);
  try {
    await client.connect(transport, { timeout: 10_000 });
  } catch (err) {
    stats.failedToConnect++;
    if (process.env.LOAD_DEBUG) log('connect failed:', err?.message ?? err);
    await client.close().catch(() => {});
    return;
  }
  stats.started++;
  try {
    let tools = [];
    if (chance(0.9)) {
      const listed = await attempt(client.listTools());
      tools = (listed?.tools ?? []).map((t) => t.name);
    }
    if (chance(0.3)) await attempt(client.listPrompts());
    if (chance(0.3)) await attempt(client.listResources());
    const ranked = [...TOOL_RANKING.filter((t) => tools.includes(t)), ...tools.filter((t) => !TOOL_RANKING.includes(t))];
    const toolWeights = zipf(ranked.length > 0 ? ranked : TOOL_RANKING, 1.1);

    const calls = 1 + Math.floor(exponential(CALLS_PER_SESSION - 1));
    for (let i = 0; i < calls && !stopping.aborted; i++) {
      await pause(exponential(THINK_MS));
      await oneRequest(client, toolWeights);
    }
    await pause(exponential(THINK_MS));
    await endSession(client, transport, mode, user);
  } finally {
    stats.ended[mode]++;
    await client.close().catch(() => {});
  }
}

async function oneRequest(client, toolWeights) {
  const action = weighted([['tool', 76], ['resource', 10], ['prompt', 8], ['ping', 6]]);
  switch (action) {
    case 'tool': {
      const name = chance(0.03) ? pick(UNKNOWN_TOOLS) : weighted(toolWeights);
      // A client-side timeout on the report: the SDK then sends notifications/cancelled (→ cancelled).
      const timeout = name === 'generate_report' ? 6000 : 30_000;
      // Now and then the user gives up on a slow call (Esc): the SDK sends notifications/cancelled too.
      const signal = SLOW_TOOLS.includes(name) && chance(0.1) ? AbortSignal.timeout(100 + Math.floor(Math.random() * 300)) : undefined;
      return attempt(client.callTool({ name, arguments: toolArguments(name) }, undefined, { timeout, signal }));
    }
    case 'resource': {
      const uri = weighted([['docs://getting-started', 4], [`docs://${pick(['deployment', 'configuration'])}`, 3], ['status://live', 4], ['config://server', 2], ['file:///missing.txt', 1]]);
      return attempt(client.readResource({ uri }));
    }
    case 'prompt': {
      const [name, args] = weighted([
        [['code_review', { code: 'let x = 1', language: 'js' }], 4],
        [['summarize_thread', { thread_id: 't-42' }], 3],
        [['incident_report', { service: 'api' }], 2],
        [[pick(UNKNOWN_PROMPTS), {}], 1],
      ]);
      return attempt(client.getPrompt({ name, arguments: args }));
    }
    default:
      return attempt(client.ping());
  }
}

async function endSession(client, transport, mode, user) {
  switch (mode) {
    case 'delete':
      await transport.terminateSession().catch(() => {});
      return;
    case 'inflight': {
      // The user quits while a slow call runs: DELETE goes out before the response.
      const call = attempt(client.callTool({ name: pick(['summarize', 'generate_report']), arguments: { text: sentence(20), topic: 'usage' } }));
      await new Promise((resolve) => setTimeout(resolve, 150));
      await transport.terminateSession().catch(() => {});
      await Promise.race([call, new Promise((resolve) => setTimeout(resolve, 500))]);
      return;
    }
    case 'quiet':
      // Goes away without a word: close() sends no DELETE; the server times the session out.
      return;
    case 'drop': {
      // The network goes: a slow call is in flight when every fetch is aborted (close() aborts them).
      void attempt(client.callTool({ name: pick(['search_code', 'summarize', 'generate_report']), arguments: { query: 'cache', text: sentence(20), topic: 'costs' } }));
      await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
      return;
    }
    case 'error': {
      // A buggy client: malformed JSON on its session. The example server closes such sessions.
      const sessionId = transport.sessionId;
      if (!sessionId) return;
      const res = await fetch(MCP_URL, {
        method: 'POST',
        headers: {
          ...(user.token ? { authorization: `Bearer ${user.token}` } : {}),
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-session-id': sessionId,
          'mcp-protocol-version': transport.protocolVersion ?? '2025-06-18',
        },
        body: '{"jsonrpc":"2.0","id":99,"method":"tools/call","params":{"name":',
      }).catch(() => undefined);
      await res?.body?.cancel().catch(() => {});
      stats.requests++;
      stats.requestErrors++;
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Arrivals

function arrive() {
  if (active.size >= CONCURRENCY) {
    stats.skipped++;
    return;
  }
  const user = pickUser();
  const run = runSession(user).catch((err) => log('session failed unexpectedly:', err?.message ?? err));
  active.add(run);
  void run.finally(() => active.delete(run));
}

function summary() {
  const e = stats.ended;
  return (
    `sessions ${stats.started} (open ${active.size}, skipped ${stats.skipped}, failed to connect ${stats.failedToConnect}); ` +
    `ended delete ${e.delete}, inflight ${e.inflight}, quiet ${e.quiet}, drop ${e.drop}, error ${e.error}; ` +
    `requests ${stats.requests} (errors ${stats.requestErrors}, tool errors ${stats.toolErrors})`
  );
}

const startedAt = Date.now();
let arrivalTimer;
function scheduleArrival() {
  if (stopping.aborted || SESSIONS_PER_MINUTE <= 0) return;
  arrivalTimer = setTimeout(() => {
    arrive();
    scheduleArrival();
  }, exponential(60_000 / SESSIONS_PER_MINUTE));
}

const reporter = REPORT_SECONDS > 0 ? setInterval(() => log(summary()), REPORT_SECONDS * 1000) : undefined;
let durationTimer;

async function stop(why) {
  if (stopping.aborted) return;
  log(`${why}: stopping, ${active.size} session(s) open`);
  stopController.abort();
  clearTimeout(arrivalTimer);
  clearTimeout(durationTimer);
  if (reporter) clearInterval(reporter);
  const deadline = new Promise((resolve) => setTimeout(resolve, 10_000).unref());
  await Promise.race([Promise.allSettled([...active]), deadline]);
  log(`done after ${Math.round((Date.now() - startedAt) / 1000)} s: ${summary()}`);
  process.exit(0);
}

process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
if (DURATION_SECONDS > 0) durationTimer = setTimeout(() => void stop('duration reached'), DURATION_SECONDS * 1000);

log(
  `${SESSIONS_PER_MINUTE} sessions/min against ${MCP_URL.href}, ${USERS} users, concurrency ${CONCURRENCY}, ` +
    (DURATION_SECONDS > 0 ? `for ${DURATION_SECONDS} s` : 'until stopped'),
);
arrive();
scheduleArrival();
