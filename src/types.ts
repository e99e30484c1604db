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
  /** Transport session id (`Mcp-Session-Id`) when the transport has one. */
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
   * Record `client.address` / `client.port` of HTTP clients (personal data in many jurisdictions).
   * Env: `OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS`. @default false
   */
  captureClientAddress?: boolean;
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
}
