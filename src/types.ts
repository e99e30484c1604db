import type { Span } from '@opentelemetry/api';
import type { InstrumentationConfig } from '@opentelemetry/instrumentation';

/** What mcp-otel knows about an incoming MCP request or notification, given to hooks. */
export interface McpRequestInfo {
  /** JSON-RPC method, e.g. `tools/call`. */
  method: string;
  /** JSON-RPC id; absent for notifications. */
  id?: string | number;
  /** The raw `params` object as received (read-only: do not mutate it). */
  params?: Readonly<Record<string, unknown>>;
  /** The session id: the transport's (`Mcp-Session-Id`), else the one mcp-otel generated; absent before a session exists. */
  sessionId?: string;
}

/** How a request ended, given to `responseHook`. */
export interface McpResponseInfo extends McpRequestInfo {
  /**
   * `result` (a result was sent, possibly a tool result with `isError: true`),
   * `error` (a JSON-RPC error was sent), `cancelled` (the client cancelled it and no
   * response was sent), `connection_closed` (the connection closed before a response),
   * `send_failed` (the transport could not deliver the response).
   */
  outcome: 'result' | 'error' | 'cancelled' | 'connection_closed' | 'send_failed';
  /** The JSON-RPC `result` as sent (read-only). */
  result?: unknown;
  /** The JSON-RPC `error` as sent. */
  error?: { code: number; message: string };
}

export type McpRequestHook = (span: Span, info: McpRequestInfo) => void;
export type McpResponseHook = (span: Span, info: McpResponseInfo) => void;
export type McpIgnoreRequestHook = (info: McpRequestInfo) => boolean;

/** Where a value to be redacted comes from. */
export interface McpRedactInfo {
  /** The attribute the value is about to be recorded under, e.g. `gen_ai.tool.call.arguments`. */
  attribute: string;
  /** The MCP method it belongs to. */
  method: string;
}
/**
 * Redaction hook for opted-in content. Receives a deep copy that the built-in
 * key-based masking has already processed; return the value to record, or
 * `undefined` to record nothing.
 */
export type McpRedactFunction = (value: unknown, info: McpRedactInfo) => unknown;

/** Which attribute carries the JSON-RPC error code. */
export type McpStatusCodeAttribute = 'rpc.response.status_code' | 'rpc.status_code' | 'both';

export interface McpInstrumentationConfig extends InstrumentationConfig {
  /**
   * Trace the MCP clients of this process too (the SDK's `Client`): a `CLIENT` span per request and notification
   * it sends, trace context in `params._meta`, `mcp.client.operation.duration` and `mcp.client.session.duration`.
   * Also the server's own requests to its client (sampling, elicitation, roots, ping). @default true
   */
  client?: boolean;
  /** Methods that get no span and no metric point, e.g. `['ping']`. @default [] */
  ignoreMethods?: string[];
  /** Return `true` to skip telemetry for a message. Runs before the span starts. */
  ignoreRequestHook?: McpIgnoreRequestHook;
  /** Called after the span starts, before the handler runs. */
  requestHook?: McpRequestHook;
  /** Called before the span ends. */
  responseHook?: McpResponseHook;
  /**
   * Record `tools/call` arguments as `gen_ai.tool.call.arguments` (JSON, redacted).
   * Env: `OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS`. @default false
   */
  captureToolArguments?: boolean;
  /**
   * Record `tools/call` results as `gen_ai.tool.call.result` (JSON, redacted).
   * Env: `OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_RESULTS`. @default false
   */
  captureToolResults?: boolean;
  /**
   * Record `prompts/get` arguments as `gen_ai.prompt.variable.<name>` (redacted).
   * Env: `OTEL_INSTRUMENTATION_MCP_CAPTURE_PROMPT_ARGUMENTS`. @default false
   */
  capturePromptArguments?: boolean;
  /**
   * HTTP request headers to record as `http.request.header.<name>` (lower-case names).
   * `authorization`, `proxy-authorization` and `cookie` are never recorded.
   * Env: `OTEL_INSTRUMENTATION_MCP_CAPTURE_REQUEST_HEADERS` (comma-separated). @default []
   */
  captureRequestHeaders?: string[];
  /**
   * Record `client.address` of HTTP clients (personal data in many jurisdictions): `true` as is (with
   * `client.port`), `'truncate'` to the /24 (IPv4) or /48 (IPv6) network, `'hash'` as a keyed hash (see
   * `trackingSecret`); anonymised forms carry no port.
   * Env: `OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS` (`true`, `false`, `truncate`, `hash`). @default false
   */
  captureClientAddress?: boolean | 'truncate' | 'hash';
  /** Use the resource URI as span-name target for `resources/*` (high cardinality). @default false */
  resourceUriInSpanName?: boolean;
  /** Redaction hook applied to every opted-in value (arguments, results, prompt variables, headers). */
  redact?: McpRedactFunction;
  /** Longest string recorded for a captured value; longer values are truncated. @default 4096 */
  maxCapturedValueLength?: number;
  /**
   * Attribute for the JSON-RPC error code: the MCP conventions' `rpc.response.status_code`,
   * core semconv's newer `rpc.status_code`, or both. @default 'rpc.response.status_code'
   */
  statusCodeAttribute?: McpStatusCodeAttribute;

  /**
   * Key of the HMAC behind `mcp.client.tracking_id`. Replicas that share it compute the same ID for the same
   * client. Env: `OTEL_INSTRUMENTATION_MCP_TRACKING_SECRET`. Without it a built-in key is used: IDs are stable,
   * but anyone who knows a client's inputs can recompute its ID.
   */
  trackingSecret?: string;
  /** Replaces the default tracking ID entirely; return undefined for "no ID". */
  trackingId?: McpTrackingIdFunction;
  /** Mix the client address into clientInfo-based tracking IDs. @default false */
  trackingIdFromAddress?: boolean;
  /** Mix the User-Agent header into clientInfo-based tracking IDs. @default false */
  trackingIdFromUserAgent?: boolean;
  /** Record `user.email` and `user.full_name` from `authInfo.extra` (personal data). @default false */
  captureUserIdentity?: boolean;
  /**
   * Distinct tracking IDs per process that get their own series on per-client metrics; later clients are
   * recorded as `_overflow`. @default 200
   */
  maxTrackedClients?: number;
  /**
   * Distinct tool names, prompt names and non-standard method names per process that get their own metric
   * series; later ones are recorded as `_OTHER` (clients choose these values). Spans keep the real value.
   * @default 100
   */
  maxMetricAttributeValues?: number;
  /**
   * A session with no activity for this many milliseconds ends with reason `timeout`; 0 disables. It is also
   * the inactivity window of the sessions synthesised for stateless-revision clients (0: none are synthesised).
   * Env: `OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT` (ms). @default 1800000 (30 minutes)
   */
  sessionIdleTimeout?: number;
  /** Also close the transport of a session that timed out. @default false */
  closeIdleSessions?: boolean;
  /**
   * Emit `mcp.session.start` and `mcp.session.end` log events (one record each per session) through the
   * OpenTelemetry Logs API; nothing is sent without a logger provider (`OTEL_LOGS_EXPORTER=none`). @default true
   */
  sessionEvents?: boolean;
  /** Called when a session starts (at `initialize`). */
  onSessionStart?: McpSessionStartHook;
  /** Called exactly once when a session ends. */
  onSessionEnd?: McpSessionEndHook;
  /** Where client activity is kept; `false` keeps none. @default a bounded in-memory store */
  activityStore?: ClientActivityStore | false;
}

/** Why a session ended. */
export type McpDisconnectReason = 'client_disconnect' | 'timeout' | 'server_shutdown' | 'error';

/** A client session as mcp-otel sees it, from `initialize` to its end. Read-only for hooks. */
export interface McpSession {
  /** The transport's session id (`Mcp-Session-Id`), or one mcp-otel generated for stdio and in-memory connections. */
  readonly id: string;
  /** True when `id` came from the transport. */
  readonly idFromTransport: boolean;
  readonly clientName?: string;
  readonly clientVersion?: string;
  /** Classification of the client software (`claude_code`, `cursor`, …, `other`, `unknown`). */
  readonly clientType: string;
  /** Stable, non-reversible ID of the client (see `trackingSecret`). */
  readonly trackingId?: string;
  /** Whether this process saw the tracking ID in an earlier session. */
  readonly returning: boolean;
  readonly protocolVersion?: string;
  /** `pipe` (stdio), `tcp` (HTTP), or undefined (in-memory or custom transports). */
  readonly transport?: string;
  /** Capabilities the client declared at initialize. */
  readonly capabilities: { readonly sampling: boolean; readonly elicitation: boolean; readonly roots: boolean };
  /** User context from the SDK's `authInfo`, when the server uses auth. */
  readonly user?: McpUserContext;
  /** Epoch milliseconds. */
  readonly startTime: number;
  readonly endTime?: number;
  readonly disconnectReason?: McpDisconnectReason;
  /** Class of the error that ended the session, when the reason is `error`. */
  readonly errorType?: string;
  readonly requestCount: number;
  readonly errorCount: number;
  /**
   * True for a session mcp-otel synthesised for a client of the stateless revision (2026-07-28), which sends
   * no `initialize` and no session id: it spans the client's requests (by tracking ID) until
   * `sessionIdleTimeout` passes without one, and ends with `timeout` or `server_shutdown`.
   */
  readonly synthesized?: boolean;
}

export interface McpUserContext {
  /** OAuth client id. */
  readonly clientId?: string;
  readonly scopes?: readonly string[];
  /** Keyed hash of the user id (subject); the raw id is never kept. */
  readonly userHash?: string;
  /** Only with `captureUserIdentity`. */
  readonly email?: string;
  /** Only with `captureUserIdentity`. */
  readonly name?: string;
}

/** What a custom `trackingId` function may use. */
export interface McpTrackingIdContext {
  readonly clientInfo?: { readonly name?: string; readonly version?: string };
  /** The SDK's `authInfo` (token, clientId, scopes, extra) as the transport passed it. */
  readonly authInfo?: Readonly<Record<string, unknown>>;
  /** HTTP request headers (lower-case names), when the transport is HTTP. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly sessionId?: string;
}

export type McpTrackingIdFunction = (context: McpTrackingIdContext) => string | undefined;
export type McpSessionStartHook = (session: McpSession) => void;
export type McpSessionEndHook = (session: McpSession, reason: McpDisconnectReason) => void;

/** One thing a client did, as kept by a ClientActivityStore. */
export interface ClientActivity {
  /** Epoch milliseconds when it ended. */
  timestamp: number;
  type: 'request' | 'notification';
  method: string;
  toolName?: string;
  promptName?: string;
  status: 'success' | 'error';
  /** The `error.type` recorded on the span, for errors. */
  errorType?: string;
  durationMs?: number;
  sessionId?: string;
}

export interface ActivityQuery {
  /** Epoch milliseconds, inclusive. */
  since?: number;
  until?: number;
  type?: ClientActivity['type'];
  status?: ClientActivity['status'];
  method?: string;
  /** Newest first; at most this many. */
  limit?: number;
}

export interface ClientActivityStats {
  trackingId: string;
  totalActivities: number;
  successCount: number;
  errorCount: number;
  byMethod: Record<string, number>;
  byTool: Record<string, number>;
  firstActivity?: number;
  lastActivity?: number;
  /** Activities per hour between the first and the last. */
  averageHourlyRate: number;
}

/**
 * Where client activity is kept. mcp-otel calls `record` for every finished
 * request and notification of a client with a tracking ID; implementations may
 * be asynchronous (a database), and failures are logged, never propagated.
 */
export interface ClientActivityStore {
  record(trackingId: string, activity: ClientActivity): void | Promise<void>;
  list(trackingId: string, query?: ActivityQuery): ClientActivity[] | Promise<ClientActivity[]>;
  stats(trackingId: string): ClientActivityStats | undefined | Promise<ClientActivityStats | undefined>;
}
