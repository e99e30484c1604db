/*
 * A real node:http server on 127.0.0.1 serving MCP over Streamable HTTP with the
 * SDK's StreamableHTTPServerTransport, in the two layouts the SDK README shows:
 * - stateful: `sessionIdGenerator: randomUUID`, one McpServer per session, sessions
 *   keyed by the `mcp-session-id` header, removed when the transport closes;
 * - stateless: `sessionIdGenerator: undefined`, a new McpServer and transport per POST,
 *   both closed when the HTTP response closes; GET/DELETE answer 405.
 * Every HTTP request is recorded (method, parsed body, the peer port the server saw,
 * the HTTP server span created around handleRequest when asked), so tests can tie an
 * MCP span to the HTTP request that carried its message.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { context, SpanKind, trace } from '@opentelemetry/api';
import type { SpanContext } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { createTestServer } from './server';
import type { TestServerOptions } from './server';

export interface RecordedRequest {
  httpMethod: string;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body of a POST (a message or a batch). */
  body: unknown;
  /** `req.socket.remotePort` as node:http saw it: the client's ephemeral port. */
  remotePort: number | undefined;
  remoteAddress: string | undefined;
  httpVersion: string;
  /** The `x-test-jsonrpc-id` header a tagging client adds (ids of the messages the POST carries). */
  taggedIds: string | undefined;
  /** The HTTP server span active around `transport.handleRequest` (option `httpSpans`). */
  httpSpan?: SpanContext;
  /** Resolves when the HTTP response closes (finished or connection gone). */
  responseClosed: Promise<void>;
}

export interface HttpServerOptions extends TestServerOptions {
  mode: 'stateful' | 'stateless';
  /** Wrap each `handleRequest` in an HTTP SERVER span made with the global tracer (`context.with`). */
  httpSpans?: boolean;
  /**
   * Read and parse POST bodies before `handleRequest` (as with express.json(), the README
   * pattern) and pass them as `parsedBody`. With false the transport reads the body itself
   * (plain node:http usage), and stateful routing only looks at the session header.
   * @default true
   */
  preParseBody?: boolean;
}

export interface HttpMcpServer {
  url: URL;
  port: number;
  requests: RecordedRequest[];
  /** Stateful mode: live sessions by id. */
  sessions: Map<string, { server: McpServer; transport: StreamableHTTPServerTransport }>;
  close(): Promise<void>;
}

export const HTTP_SPAN_TRACER = 'test-http-server';

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : JSON.parse(text);
}

function jsonError(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

export async function startHttpMcpServer(options: HttpServerOptions): Promise<HttpMcpServer> {
  const requests: RecordedRequest[] = [];
  const sessions: HttpMcpServer['sessions'] = new Map();
  const statelessServers = new Set<McpServer>();
  const sockets = new Set<Socket>();
  const tracer = trace.getTracer(HTTP_SPAN_TRACER);
  const newMcpServer = () => createTestServer({ release: options.release });

  async function stateful(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return jsonError(res, 404, 'Session not found');
      await session.transport.handleRequest(req, res, body);
      return;
    }
    const mayInitialize = options.preParseBody === false ? req.method === 'POST' : req.method === 'POST' && isInitializeRequest(body);
    if (!mayInitialize) return jsonError(res, 400, 'No valid session ID provided');
    const server = newMcpServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { server, transport });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  async function stateless(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const server = newMcpServer();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    statelessServers.add(server);
    res.on('close', () => {
      statelessServers.delete(server);
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  const httpServer = createServer((req, res) => {
    const responseClosed = new Promise<void>((resolve) => res.once('close', () => resolve()));
    const record: RecordedRequest = {
      httpMethod: req.method ?? '',
      headers: req.headers,
      body: undefined,
      remotePort: req.socket.remotePort,
      remoteAddress: req.socket.remoteAddress,
      taggedIds: typeof req.headers['x-test-jsonrpc-id'] === 'string' ? req.headers['x-test-jsonrpc-id'] : undefined,
      httpVersion: req.httpVersion,
      responseClosed,
    };
    requests.push(record);
    const handle = options.mode === 'stateful' ? stateful : stateless;
    void (async () => {
      try {
        if (options.preParseBody !== false && req.method === 'POST') record.body = await readBody(req);
        if (options.httpSpans) {
          const span = tracer.startSpan(`${req.method} /mcp`, {
            kind: SpanKind.SERVER,
            attributes: { 'http.request.method': req.method ?? '', 'url.path': '/mcp' },
          });
          record.httpSpan = span.spanContext();
          res.once('close', () => span.end());
          await context.with(trace.setSpan(context.active(), span), () => handle(req, res, record.body));
        } else {
          await handle(req, res, record.body);
        }
      } catch (err) {
        if (!res.headersSent) jsonError(res, 500, String(err));
        else res.destroy();
      }
    })();
  });
  httpServer.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (httpServer.address() as AddressInfo).port;

  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    port,
    requests,
    sessions,
    async close() {
      for (const { server } of [...sessions.values()]) await server.close();
      for (const server of [...statelessServers]) await server.close();
      httpServer.closeAllConnections();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  };
}

/** JSON-RPC messages carried by a recorded POST. */
export function messagesOf(request: RecordedRequest): Array<Record<string, unknown>> {
  const body = request.body;
  if (body === undefined || body === null) return [];
  return (Array.isArray(body) ? body : [body]) as Array<Record<string, unknown>>;
}

/** The one recorded HTTP request whose body carries a message matching `match`. */
export function requestCarrying(requests: RecordedRequest[], match: (message: Record<string, unknown>) => boolean): RecordedRequest {
  const found = requests.filter((r) => messagesOf(r).some(match));
  if (found.length !== 1) throw new Error(`expected one HTTP request carrying the message, got ${found.length}`);
  return found[0];
}

export interface HttpClient {
  client: Client;
  transport: StreamableHTTPClientTransport;
  close(): Promise<void>;
}

/**
 * Global fetch, plus an `x-test-jsonrpc-id` header naming the ids of the JSON-RPC
 * messages a POST carries, so a server that does not pre-parse bodies can still tell
 * which HTTP request carried which message.
 */
const taggingFetch: typeof fetch = (input, init) => {
  if (init?.method === 'POST' && typeof init.body === 'string') {
    const body = JSON.parse(init.body) as unknown;
    const ids = (Array.isArray(body) ? body : [body]).map((m: { id?: unknown; method?: unknown }) => String(m.id ?? m.method));
    const headers = new Headers(init.headers);
    headers.set('x-test-jsonrpc-id', ids.join(','));
    init = { ...init, headers };
  }
  return fetch(input, init);
};

/** A real SDK Client connected over StreamableHTTPClientTransport. */
export async function connectHttpClient(
  url: URL,
  options: { name?: string; version?: string; requestInit?: RequestInit; tagRequests?: boolean } = {},
): Promise<HttpClient> {
  const transport = new StreamableHTTPClientTransport(url, {
    ...(options.requestInit ? { requestInit: options.requestInit } : {}),
    ...(options.tagRequests ? { fetch: taggingFetch } : {}),
  });
  const client = new Client({ name: options.name ?? 'http-client', version: options.version ?? '3.1.4' });
  await client.connect(transport);
  return { client, transport, close: () => client.close() };
}

/**
 * A release promise for the `slow` tool that also reports when the tool started
 * (the tool calls `release.then(...)` as soon as it runs).
 */
export function gate(): { release: Promise<void>; started: Promise<void>; open(): void; readonly starts: number } {
  let open!: () => void;
  let markStarted!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  let starts = 0;
  const release = {
    then(onFulfilled?: () => unknown, onRejected?: (err: unknown) => unknown) {
      starts++;
      markStarted();
      return opened.then(onFulfilled, onRejected);
    },
  } as unknown as Promise<void>;
  return {
    release,
    started,
    open,
    get starts() {
      return starts;
    },
  };
}
