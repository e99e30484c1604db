import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { Attributes, Context, Span } from '@opentelemetry/api';
import { cleanErrorMessage } from './errors';
import type { JsonRpcId } from '../internal-types';
import type { TelemetrySource } from './source';
import { whenSettled } from '../safely';
import {
  ATTR_ERROR_TYPE,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  ERROR_TYPE_CANCELLED,
  ERROR_TYPE_CONNECTION_CLOSED,
  ERROR_TYPE_SEND_FAILED,
  ERROR_TYPE_TIMEOUT,
  ERROR_TYPE_TOOL_ERROR,
  VALUE_OTHER,
} from '../semconv';
import { capLength, MAX_NAME_LENGTH, Targets } from './targets';
import { METHOD_INITIALIZE, METHOD_TOOLS_CALL } from './methods';

/*
 * What the messages an MCP peer *sends* become (the conventions' `mcp.client` span): a CLIENT span per request,
 * ended by its response, its cancellation, a failed send or the connection closing, and per notification, ended
 * when it is sent; the trace context injected into `params._meta`; `mcp.client.operation.duration`; and, for a
 * client's own connection, `mcp.client.session.duration` from a successful `initialize` to the close. Serves the
 * SDK's Client and the server's own requests to its client (sampling, elicitation, roots, ping) alike.
 * Knows nothing about how the SDK is hooked; every method is called under the adapter's guard.
 */

interface PendingClientRequest {
  span: Span;
  method: string;
  startTime: number;
  metricAttributes: Attributes;
}

/** One sender's side of a connection: its requests awaiting a response, and the attributes of what it sends. */
export interface OutgoingChannel {
  readonly pending: Map<JsonRpcId, PendingClientRequest>;
  /** Attributes of every span this channel sends (besides the message's own); may change over its life. */
  spanAttributes: Attributes;
  /** Attributes of every operation metric point (low cardinality only). */
  metricAttributes: Attributes;
  /** A client's own session: when `initialize` succeeded (performance.now()), until the close. */
  sessionStart?: number;
  /** The application closed the connection itself (a normal end of the session). */
  closedByApplication?: boolean;
}

interface OutgoingMessage {
  method?: unknown;
  id?: unknown;
  params?: unknown;
}

/** What to send instead of the original message, and in which context (the CLIENT span's). */
export interface PreparedSend {
  message: unknown;
  context: Context;
}

type Carrier = Record<string, unknown>;
const META_SETTER = { set: (carrier: Carrier, key: string, value: string) => (carrier[key] = value) };

export class ClientTelemetry {
  private readonly targets: Targets;

  constructor(private readonly source: TelemetrySource) {
    this.targets = new Targets(() => source.config.maxMetricAttributeValues);
  }

  newChannel(spanAttributes: Attributes, metricAttributes: Attributes): OutgoingChannel {
    return { pending: new Map(), spanAttributes, metricAttributes };
  }

  /**
   * A request or notification is about to be sent: starts its span (child of the active context) and returns the
   * message with the span's context in `params._meta`, or undefined to send the original unchanged.
   */
  sending(channel: OutgoingChannel, message: unknown): PreparedSend | undefined {
    if (message === null || typeof message !== 'object') return undefined;
    const { method, id, params } = message as OutgoingMessage;
    if (typeof method !== 'string') return undefined;
    this.source.sync();
    if (this.source.config.ignoreMethods.has(method)) return undefined;
    const isRequest = typeof id === 'string' || typeof id === 'number';
    const paramsObject = isObject(params) ? params : undefined;
    if (method === 'notifications/cancelled') this.senderCancelled(channel, paramsObject);

    const spanAttrs: Attributes = {};
    if (isRequest) spanAttrs[ATTR_JSONRPC_REQUEST_ID] = typeof id === 'string' ? capLength(id, MAX_NAME_LENGTH) : String(id);
    const sessionId = channel.spanAttributes[ATTR_MCP_SESSION_ID];
    if (sessionId !== undefined) spanAttrs[ATTR_MCP_SESSION_ID] = sessionId;
    const metricAttributes: Attributes = Object.assign({}, channel.metricAttributes);
    const name = this.targets.describe(method, paramsObject, spanAttrs, metricAttributes, this.source.config.resourceUriInSpanName);
    const parent = context.active();
    const span = this.source.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes: spanAttrs }, parent);
    if (span.isRecording()) span.setAttributes(channel.spanAttributes);
    const pending: PendingClientRequest = { span, method, startTime: performance.now(), metricAttributes };
    if (isRequest) channel.pending.set(id, pending);
    else this.notificationPending.set(message as object, pending);
    const spanContext = trace.setSpan(parent, span);
    return { message: withTraceContext(message as OutgoingMessage, paramsObject, spanContext), context: spanContext };
  }

  /** Notifications in flight (between `sending` and the end of the send), by the original message object. */
  private readonly notificationPending = new WeakMap<object, PendingClientRequest>();

  /** The transport's `send` returned (or threw, `threw` set): notifications end here, failed requests too. */
  sent(channel: OutgoingChannel, message: unknown, result: unknown, threw?: unknown): void {
    const { id } = message as OutgoingMessage;
    const isRequest = typeof id === 'string' || typeof id === 'number';
    const end = (err?: unknown) => {
      if (isRequest) {
        if (err === undefined) return; // a request ends with its response
        const pending = channel.pending.get(id);
        if (pending === undefined) return;
        channel.pending.delete(id);
        this.fail(pending, ERROR_TYPE_SEND_FAILED, err);
        return;
      }
      const pending = this.notificationPending.get(message as object);
      if (pending === undefined) return;
      this.notificationPending.delete(message as object);
      if (err === undefined) this.finish(pending);
      else this.fail(pending, ERROR_TYPE_SEND_FAILED, err);
    };
    if (threw !== undefined) end(threw);
    else whenSettled(result, () => end(), (err) => end(err ?? new Error('send failed')));
  }

  /** A response arrived for one of the channel's requests. */
  responseReceived(channel: OutgoingChannel, response: unknown): void {
    if (response === null || typeof response !== 'object') return;
    const { id, result, error } = response as { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };
    if (typeof id !== 'string' && typeof id !== 'number') return;
    const pending = channel.pending.get(id);
    if (pending === undefined) return;
    channel.pending.delete(id);
    const { span, metricAttributes } = pending;
    if (error !== undefined && error !== null) {
      // The sender's rules: every JSON-RPC error is an error (genai PR #404).
      const code = typeof error.code === 'number' ? String(error.code) : VALUE_OTHER;
      span.setAttribute(ATTR_RPC_RESPONSE_STATUS_CODE, code);
      metricAttributes[ATTR_RPC_RESPONSE_STATUS_CODE] = code;
      this.markError(pending, code, cleanErrorMessage(error.message));
    } else if (pending.method === METHOD_TOOLS_CALL && isObject(result) && result.isError === true) {
      this.markError(pending, ERROR_TYPE_TOOL_ERROR, undefined);
    } else if (pending.method === METHOD_INITIALIZE && isObject(result)) {
      this.initialized(channel, result);
    }
    this.finish(pending);
  }

  /** The connection closed: requests still waiting get `connection_closed`; a client's session ends. */
  closed(channel: OutgoingChannel): void {
    for (const pending of channel.pending.values()) this.fail(pending, ERROR_TYPE_CONNECTION_CLOSED, undefined);
    channel.pending.clear();
    if (channel.sessionStart === undefined) return;
    const seconds = (performance.now() - channel.sessionStart) / 1000;
    channel.sessionStart = undefined;
    const attributes: Attributes = Object.assign({}, channel.metricAttributes);
    if (!channel.closedByApplication) attributes[ATTR_ERROR_TYPE] = ERROR_TYPE_CONNECTION_CLOSED;
    this.source.metrics.clientSessionDuration.record(seconds, attributes);
  }

  /** The negotiated protocol version joins the channel's attributes; the client's session starts. */
  private initialized(channel: OutgoingChannel, result: Record<string, unknown>): void {
    const version = result.protocolVersion;
    if (typeof version === 'string' && version.length <= 64) {
      channel.spanAttributes = { ...channel.spanAttributes, [ATTR_MCP_PROTOCOL_VERSION]: version };
      channel.metricAttributes = { ...channel.metricAttributes, [ATTR_MCP_PROTOCOL_VERSION]: version };
    }
    channel.sessionStart = performance.now();
  }

  /** The sender gave up on a request (`notifications/cancelled`): a timeout or a cancellation. */
  senderCancelled(channel: OutgoingChannel, params: unknown): void {
    if (!isObject(params)) return;
    const target = params.requestId;
    if (typeof target !== 'string' && typeof target !== 'number') return;
    const pending = channel.pending.get(target);
    if (pending === undefined) return;
    channel.pending.delete(target);
    // The SDKs cancel a timed-out request with the reason "…Request timed out…".
    const timedOut = typeof params.reason === 'string' && /timed out/i.test(params.reason);
    this.fail(pending, timedOut ? ERROR_TYPE_TIMEOUT : ERROR_TYPE_CANCELLED, undefined);
  }

  private markError(pending: PendingClientRequest, errorType: string, message: string | undefined): void {
    pending.span.setAttribute(ATTR_ERROR_TYPE, errorType);
    pending.metricAttributes[ATTR_ERROR_TYPE] = errorType;
    pending.span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? errorType });
  }

  private fail(pending: PendingClientRequest, errorType: string, err: unknown): void {
    this.markError(pending, errorType, err instanceof Error ? err.message : undefined);
    this.finish(pending);
  }

  private finish(pending: PendingClientRequest): void {
    pending.span.end();
    this.source.metrics.clientOperationDuration.record((performance.now() - pending.startTime) / 1000, pending.metricAttributes);
  }
}

/**
 * The message with the span's context in `params._meta`, through the configured propagators (`traceparent`,
 * `tracestate`, `baggage` with the W3C defaults). A copy: the caller's params stay untouched, and keys the
 * caller put in `_meta` win.
 */
function withTraceContext(message: OutgoingMessage, params: Record<string, unknown> | undefined, spanContext: Context): unknown {
  const injected: Carrier = {};
  propagation.inject(spanContext, injected, META_SETTER);
  let added = false;
  const existing = params !== undefined && isObject(params._meta) ? params._meta : undefined;
  const meta: Carrier = existing ? Object.assign({}, existing) : {};
  for (const key in injected) {
    if (key in meta) continue;
    meta[key] = injected[key];
    added = true;
  }
  if (!added) return message;
  return Object.assign({}, message, { params: Object.assign({}, params, { _meta: meta }) });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
