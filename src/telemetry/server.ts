import { context, createContextKey, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { captureHeaders, captureRequestContent, captureToolResult } from './capture';
import { ConnectionState } from '../connection';
import type { ConnectionOptions, PendingRequest } from '../connection';
import { recordClientActivity } from '../activity/record';
import { recordedAddress } from '../identity/client-address';
import { applyEnvelope } from '../identity/envelope';
import { classifyResponse } from './errors';
import { SessionLifecycle } from '../session/lifecycle';
import type { ServerRequests } from './server-requests';
import { capLength, MAX_NAME_LENGTH, Targets } from './targets';
import type { JsonRpcId, JsonRpcRequestLike, JsonRpcResponseLike, MessageExtraLike, ServerLike, TransportLike } from '../internal-types';
import type { TelemetrySource } from './source';
import { whenSettled } from '../safely';
import { parentFromMeta } from './propagation';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_CLIENT_PORT,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_SESSION_ID,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ERROR_TYPE_CANCELLED,
  ERROR_TYPE_SEND_FAILED,
} from '../semconv';
import type { McpRequestInfo, McpResponseInfo } from '../types';
import { METHOD_INITIALIZE, METHOD_TOOLS_CALL } from './methods';

/** Context key holding the ConnectionState of the request being handled (for the activity tool, and for a shared transport's responses to find their session). */
export const CONNECTION_KEY = createContextKey('mcp-otel.connection');
/** Whether handlers need CONNECTION_KEY (set once an activity tool is registered): otherwise skip the extra context. */
let connectionInContext = false;
export function putConnectionInContext(): void {
  connectionInContext = true;
}


const ATTR_RPC_STATUS_CODE = 'rpc.status_code';
type Outcome = McpResponseInfo['outcome'];

/**
 * Turns the MCP messages a server receives and sends into spans and metric
 * points. Knows nothing about how the SDK is hooked: adapters call it.
 * Every public method is called from patched SDK code and must not throw
 * (the adapter also guards each call).
 */
export class ServerTelemetry {
  readonly lifecycle: SessionLifecycle;
  /** The server's own requests to its client (set by the instrumentation). */
  outgoing?: ServerRequests;
  private readonly targets: Targets;
  private readonly onStoreError = (err: unknown): void => this.source.diag.error('mcp-otel: activityStore.record failed', err);

  constructor(private readonly source: TelemetrySource) {
    this.targets = new Targets(() => source.config.maxMetricAttributeValues);
    this.lifecycle = new SessionLifecycle(source, (state, errorType) => this.abandonAll(state, errorType));
  }

  newConnection(server: ServerLike, transport: TransportLike, options?: ConnectionOptions): ConnectionState {
    return new ConnectionState(server, transport, this, options);
  }

  /** Whether HTTP handlers must keep each request's peer in its context (only to record addresses or headers). */
  needsPerRequestPeer(): boolean {
    const config = this.source.config;
    return config.clientAddressMode !== undefined || config.captureRequestHeaders.length > 0;
  }

  /** The connection of the request whose handling is on the stack, if it was put in the context. */
  contextConnection(): ConnectionState | undefined {
    return context.active().getValue(CONNECTION_KEY) as ConnectionState | undefined;
  }

  get activityStore() {
    return this.source.config.activityStore;
  }

  /** Starts the span of an incoming request; returns the context to run the SDK's dispatch in. */
  startRequest(state: ConnectionState, request: JsonRpcRequestLike, extra: MessageExtraLike | undefined): Context | undefined {
    const method = request.method;
    if (typeof method !== 'string') return undefined;
    this.source.sync();
    if (this.source.config.ignoreMethods.has(method)) {
      this.lifecycle.touch(state); // no telemetry, but still activity (a client that only pings is not idle)
      return undefined;
    }
    const id = request.id;
    if (typeof id !== 'string' && typeof id !== 'number') return undefined;
    const params = isObject(request.params) ? request.params : undefined;

    const initialize = method === METHOD_INITIALIZE;
    if (initialize && params && isObject(params.clientInfo)) state.setClientInfo(params.clientInfo);
    // Stateless revision: the client and protocol version come with every request instead.
    const meta = params?._meta;
    const envelopeChanged = !initialize && isObject(meta) && applyEnvelope(state, meta);
    const headers = extra?.requestInfo?.headers;
    refreshFromHeaders(state, headers);
    this.lifecycle.onRequest(state, extra, initialize || envelopeChanged);

    const started = this.openSpan(state, method, id, params, headers, this.source.config.resourceUriInSpanName);
    if (started === undefined) return undefined;
    const { span, parent, metricAttributes } = started;
    const pending: PendingRequest = { span, method, id, startTime: performance.now(), metricAttributes, params };
    const older = state.pending.get(id);
    if (older !== undefined) pending.older = older;
    state.pending.set(id, pending);
    const ctx = trace.setSpan(parent, span);
    // One Server for many sessions: its response goes out through the shared transport, which finds the
    // session's state in the context the SDK's handler chain runs in.
    return connectionInContext || state.sharedServer ? ctx.setValue(CONNECTION_KEY, state) : ctx;
  }

  /** Ends the span of the request a response answers. Called with the transport's `send` result. */
  responseSent(state: ConnectionState, message: JsonRpcResponseLike, sent: unknown): void {
    const id = message.id;
    if (id === undefined || id === null) return;
    const pending = this.take(state, id);
    if (pending === undefined) return;
    const { span } = pending;
    const classification = classifyResponse(pending.method, message);
    if (pending.method === METHOD_INITIALIZE && isObject(message.result)) {
      this.lifecycle.initialized(state, span, pending.metricAttributes, pending.params, message.result);
    }
    if (classification.statusCode !== undefined) this.setStatusCode(span, pending.metricAttributes, classification.statusCode);
    if (classification.errorType !== undefined) {
      span.setAttribute(ATTR_ERROR_TYPE, classification.errorType);
      pending.metricAttributes[ATTR_ERROR_TYPE] = classification.errorType;
      span.setStatus({ code: SpanStatusCode.ERROR, message: classification.message });
    }
    const config = this.source.config;
    if (config.captureToolResults && pending.method === METHOD_TOOLS_CALL && message.result !== undefined && span.isRecording()) {
      const text = this.source.safe(() => captureToolResult(config, message.result), 'captureToolResults');
      if (text !== undefined) span.setAttribute(ATTR_GEN_AI_TOOL_CALL_RESULT, text);
    }
    const outcome: Outcome = message.error !== undefined ? 'error' : 'result';
    whenSettled(
      sent,
      () => this.finish(state, pending, outcome, message),
      (err) => this.fail(state, pending, ERROR_TYPE_SEND_FAILED, err, message),
    );
  }

  /** The transport threw synchronously while sending a response. */
  sendThrew(state: ConnectionState, message: JsonRpcResponseLike, err: unknown): void {
    const id = message.id;
    if (id === undefined || id === null) return;
    const pending = this.take(state, id);
    if (pending) this.fail(state, pending, ERROR_TYPE_SEND_FAILED, err, message);
  }

  /** Ends a request that will never get a response (`cancelled`, `connection_closed`). */
  abandon(state: ConnectionState, id: JsonRpcId, errorType: string): void {
    const pending = this.take(state, id);
    if (pending) this.fail(state, pending, errorType, undefined, undefined);
  }

  /** Ends every request still open on a connection that is going away. */
  abandonAll(state: ConnectionState, errorType: string): void {
    for (const id of state.pending.keys()) {
      while (state.pending.has(id)) this.abandon(state, id, errorType);
    }
  }

  /**
   * Starts the span of an incoming notification. Notifications get no response,
   * so the caller ends the span when dispatch returns (`endNotification`).
   */
  startNotification(state: ConnectionState, notification: JsonRpcRequestLike, extra: MessageExtraLike | undefined): { span: Span; context: Context; start: number; metricAttributes: Attributes } | undefined {
    const method = notification.method;
    if (typeof method !== 'string') return undefined;
    this.source.sync();
    if (this.source.config.ignoreMethods.has(method)) {
      this.lifecycle.touch(state);
      return undefined;
    }
    const params = isObject(notification.params) ? notification.params : undefined;
    // The SDK passes notifications no `extra`; over HTTP the headers come from the patched handleRequest
    // (the request's own when per-request details are recorded, else the transport's latest request).
    const headers = extra?.requestInfo?.headers ?? state.httpPeer?.headers;
    refreshFromHeaders(state, headers);
    this.lifecycle.touch(state);
    const started = this.openSpan(state, method, undefined, params, headers, false);
    if (started === undefined) return undefined;
    if (method === 'notifications/cancelled' && params) {
      const target = params.requestId;
      if (typeof target === 'string' || typeof target === 'number') this.abandon(state, target, ERROR_TYPE_CANCELLED);
    }
    const { span, parent, metricAttributes } = started;
    return { span, context: trace.setSpan(parent, span), start: performance.now(), metricAttributes };
  }

  /**
   * What requests and notifications share: the ignore hook, the span and metric attribute sets (copies of
   * the connection's), the target, opt-in details, the parent from `_meta`, the span and the request hook.
   * Returns undefined when the message is ignored.
   */
  private openSpan(
    state: ConnectionState,
    method: string,
    id: JsonRpcId | undefined,
    params: Record<string, unknown> | undefined,
    headers: Record<string, string | string[] | undefined> | undefined,
    uriInName: boolean,
  ): { span: Span; parent: Context; metricAttributes: Attributes } | undefined {
    const { config, tracer } = this.source;
    const info = config.needsRequestInfo ? requestInfo(method, id, params, state) : undefined;
    if (info && config.user.ignoreRequestHook && this.source.safe(() => config.user.ignoreRequestHook!(info), 'ignoreRequestHook') === true) {
      return undefined;
    }
    // The sampler sees what the message is about (method, target, request id) and its session; the connection's
    // other attributes and the opt-in details go only on a span that records, so a sampled-out message copies
    // and sanitises none of them (OpenTelemetry JS 3.x cleans start attributes even for spans it drops).
    const spanAttrs: Attributes = {};
    if (id !== undefined) spanAttrs[ATTR_JSONRPC_REQUEST_ID] = typeof id === 'string' ? capLength(id, MAX_NAME_LENGTH) : String(id);
    const sessionId = state.spanAttributes[ATTR_MCP_SESSION_ID];
    if (sessionId !== undefined) spanAttrs[ATTR_MCP_SESSION_ID] = sessionId;
    // Object.assign, not spread: on Node 20 adding keys to a spread copy changes its hidden class per key.
    const metricAttributes: Attributes = Object.assign({}, state.metricAttributes);
    const name = this.targets.describe(method, params, spanAttrs, metricAttributes, uriInName);
    const { parent, links } = parentFromMeta(params);
    const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: spanAttrs, links }, parent);
    if (span.isRecording()) {
      span.setAttributes(state.spanAttributes);
      this.addRequestDetails(state, method, params, headers, span);
    }
    if (info && config.user.requestHook) this.source.safe(() => config.user.requestHook!(span, info), 'requestHook');
    return { span, parent, metricAttributes };
  }

  endNotification(state: ConnectionState, method: string, started: { span: Span; start: number; metricAttributes: Attributes }): void {
    const hook = this.source.config.user.responseHook;
    if (hook) {
      const info: McpResponseInfo = { method, sessionId: state.sessionId, outcome: 'result' };
      this.source.safe(() => hook(started.span, info), 'responseHook');
    }
    this.ended(state, started.span, started.start, started.metricAttributes, 'notification');
  }

  /** A message is done: its span ends, and its duration goes to the metric, the session and the client's activity. */
  private ended(state: ConnectionState, span: Span, start: number, metricAttributes: Attributes, type: 'request' | 'notification'): void {
    span.end();
    const ms = performance.now() - start;
    this.source.metrics.recordOperation(ms / 1000, metricAttributes);
    this.lifecycle.operationEnded(state, metricAttributes[ATTR_ERROR_TYPE] !== undefined);
    recordClientActivity(this.source.config, this.source.tally, this.onStoreError, state, type, metricAttributes, ms);
  }

  /** Opt-in details (client address, arguments, headers), on a recording span only. */
  private addRequestDetails(
    state: ConnectionState,
    method: string,
    params: Record<string, unknown> | undefined,
    headers: Record<string, string | string[] | undefined> | undefined,
    span: Span,
  ): void {
    const config = this.source.config;
    const addressMode = config.clientAddressMode;
    const captureContent = config.captureToolArguments || config.capturePromptArguments;
    const captureHeaderValues = headers !== undefined && config.captureRequestHeaders.length > 0;
    if (addressMode === undefined && !captureContent && !captureHeaderValues) return;
    const details: Attributes = {};
    if (addressMode !== undefined) {
      const peer = state.httpPeer;
      if (peer?.address) {
        details[ATTR_CLIENT_ADDRESS] = recordedAddress(peer.address, addressMode, (m) => this.lifecycle.hash(m));
        if (addressMode === 'full' && peer.port !== undefined) details[ATTR_CLIENT_PORT] = peer.port;
      }
    }
    if (captureContent) this.source.safe(() => captureRequestContent(config, method, params, details), 'content capture');
    if (captureHeaderValues) {
      this.source.safe(() => captureHeaders(config, method, headers!, details), 'header capture');
    }
    span.setAttributes(details);
  }

  private setStatusCode(span: Span, metricAttrs: Attributes, code: string): void {
    const which = this.source.config.statusCodeAttribute;
    if (which !== 'rpc.status_code') {
      span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, code);
      metricAttrs[ATTR_RPC_RESPONSE_STATUS_CODE] = code;
    }
    if (which !== 'rpc.response.status_code') {
      span.setAttribute(ATTR_RPC_STATUS_CODE, code);
      metricAttrs[ATTR_RPC_STATUS_CODE] = code;
    }
  }

  private take(state: ConnectionState, id: JsonRpcId): PendingRequest | undefined {
    const pending = state.pending.get(id);
    if (pending === undefined) return undefined;
    // With duplicate ids the oldest request is answered first.
    let previous: PendingRequest | undefined;
    let oldest = pending;
    while (oldest.older !== undefined) {
      previous = oldest;
      oldest = oldest.older;
    }
    if (previous) previous.older = undefined;
    else state.pending.delete(id);
    return oldest;
  }

  private fail(state: ConnectionState, pending: PendingRequest, errorType: string, err: unknown, message: JsonRpcResponseLike | undefined): void {
    pending.span.setAttribute(ATTR_ERROR_TYPE, errorType);
    pending.metricAttributes[ATTR_ERROR_TYPE] = errorType;
    const description = err instanceof Error ? err.message : errorType;
    pending.span.setStatus({ code: SpanStatusCode.ERROR, message: description });
    this.finish(state, pending, errorType as Outcome, message);
  }

  private finish(state: ConnectionState, pending: PendingRequest, outcome: Outcome, message: JsonRpcResponseLike | undefined): void {
    const hook = this.source.config.user.responseHook;
    if (hook) {
      const info = requestInfo(pending.method, pending.id, pending.params, state) as McpResponseInfo;
      info.outcome = outcome;
      if (message?.result !== undefined) info.result = message.result;
      if (message?.error) info.error = { code: Number(message.error.code), message: String(message.error.message) };
      this.source.safe(() => hook(pending.span, info), 'responseHook');
    }
    this.ended(state, pending.span, pending.startTime, pending.metricAttributes, 'request');
  }
}

/** The connection learns transport facts (HTTP, session id, protocol-version header) from each message. */
function refreshFromHeaders(state: ConnectionState, headers: Record<string, string | string[] | undefined> | undefined): void {
  const headerVersion = headers?.['mcp-protocol-version'];
  state.refresh(headers !== undefined, typeof headerVersion === 'string' ? headerVersion : undefined);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function requestInfo(method: string, id: JsonRpcId | undefined, params: Record<string, unknown> | undefined, state: ConnectionState): McpRequestInfo {
  const info: McpRequestInfo = { method };
  if (id !== undefined) info.id = id;
  if (params !== undefined) info.params = params;
  if (state.sessionId !== undefined) info.sessionId = state.sessionId;
  return info;
}
