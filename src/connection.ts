import { context, createContextKey } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import type { HttpPeer, JsonRpcId, ServerLike, TransportLike } from './internal-types';
import {
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_NETWORK_TRANSPORT,
  NETWORK_TRANSPORT_VALUE_PIPE,
  NETWORK_TRANSPORT_VALUE_TCP,
} from './semconv';

/** A request whose span is open until its response is sent (or it is cancelled, or the connection closes). */
export interface PendingRequest {
  readonly span: Span;
  readonly method: string;
  readonly id: JsonRpcId;
  readonly startTime: number;
  /** Low-cardinality attributes for the duration metric, filled as the request proceeds. */
  readonly metricAttributes: Attributes;
  readonly params: Record<string, unknown> | undefined;
  /** Older request with the same id (a client bug), answered after this one. */
  older?: PendingRequest;
}

/** Symbol under which the HTTP transport patches stash peer details on a transport. */
export const HTTP_PEER = Symbol.for('mcp-otel.http-peer');
/** Context key under which the HTTP transport patches put the peer of the request being handled. */
export const HTTP_REQUEST_KEY = createContextKey('mcp-otel.http-request');

/** The HTTP request whose handling is on the stack (per request, unlike the per-transport stash). */
export function currentHttpRequest(): HttpPeer | undefined {
  return context.active().getValue(HTTP_REQUEST_KEY) as HttpPeer | undefined;
}

type TransportKind = { transport?: string; protocol?: string };

/** Classifies a transport once per connection; the SDK classes are recognised by name, others by behaviour. */
function transportKind(transport: TransportLike, hasHttpRequestInfo: boolean): TransportKind {
  const name = (transport as object).constructor?.name ?? '';
  if (name === 'StdioServerTransport' || '_stdin' in transport) return { transport: NETWORK_TRANSPORT_VALUE_PIPE };
  if (name.includes('StreamableHTTP') || name === 'SSEServerTransport' || hasHttpRequestInfo) {
    return { transport: NETWORK_TRANSPORT_VALUE_TCP, protocol: 'http' };
  }
  return {};
}

/**
 * Per-connection state: one per (Server, transport) pair. Attribute sets that
 * every span and metric point of the connection share are built here once and
 * rebuilt only when the connection learns something (client info at
 * initialize, the negotiated protocol version), not per request.
 */
export class ConnectionState {
  readonly pending = new Map<JsonRpcId, PendingRequest>();
  /** Shared by every span of the connection; never mutated once built (spans copy it). */
  spanAttributes: Attributes = {};
  /** Shared by every metric point of the connection. */
  metricAttributes: Attributes = {};
  protocolVersion: string | undefined;
  clientName: string | undefined;
  clientVersion: string | undefined;
  private _kind: TransportKind | undefined;
  private _sessionId: string | undefined;
  private _httpVersion: string | undefined;

  constructor(
    readonly server: ServerLike,
    readonly transport: TransportLike,
  ) {
    const client = safeClientVersion(server);
    if (client) this.setClientInfo(client);
    else this.rebuild();
  }

  /** Called per message with what the transport passed along; cheap when nothing changed. */
  refresh(hasHttpRequestInfo: boolean, headerProtocolVersion: string | undefined): void {
    let changed = false;
    if (this._kind === undefined || (hasHttpRequestInfo && this._kind.protocol === undefined)) {
      this._kind = transportKind(this.transport, hasHttpRequestInfo);
      changed = true;
    }
    const sessionId = this.transport.sessionId;
    if (sessionId !== this._sessionId && typeof sessionId === 'string') {
      this._sessionId = sessionId;
      changed = true;
    }
    const peer = this.httpPeer;
    if (peer?.version !== undefined && peer.version !== this._httpVersion) {
      this._httpVersion = peer.version;
      changed = true;
    }
    if (headerProtocolVersion !== undefined && this.protocolVersion === undefined) {
      this.protocolVersion = headerProtocolVersion;
      changed = true;
    }
    if (changed) this.rebuild();
  }

  get sessionId(): string | undefined {
    return this._sessionId;
  }

  /** The peer of the HTTP request carrying the current message; the transport's last one without a context manager. */
  get httpPeer(): HttpPeer | undefined {
    return currentHttpRequest() ?? (this.transport as { [HTTP_PEER]?: HttpPeer })[HTTP_PEER];
  }

  setClientInfo(info: { name?: unknown; version?: unknown }): void {
    this.clientName = typeof info.name === 'string' ? info.name : undefined;
    this.clientVersion = typeof info.version === 'string' ? info.version : undefined;
    this.rebuild();
  }

  setProtocolVersion(version: unknown): void {
    if (typeof version !== 'string' || version === this.protocolVersion) return;
    this.protocolVersion = version;
    this.rebuild();
  }

  private rebuild(): void {
    const span: Attributes = {};
    const metric: Attributes = {};
    const kind = this._kind ?? {};
    if (kind.transport) span[ATTR_NETWORK_TRANSPORT] = metric[ATTR_NETWORK_TRANSPORT] = kind.transport;
    if (kind.protocol) span[ATTR_NETWORK_PROTOCOL_NAME] = metric[ATTR_NETWORK_PROTOCOL_NAME] = kind.protocol;
    if (kind.protocol && this._httpVersion) {
      span[ATTR_NETWORK_PROTOCOL_VERSION] = metric[ATTR_NETWORK_PROTOCOL_VERSION] = this._httpVersion;
    }
    if (this.protocolVersion) span[ATTR_MCP_PROTOCOL_VERSION] = metric[ATTR_MCP_PROTOCOL_VERSION] = this.protocolVersion;
    if (this._sessionId) span[ATTR_MCP_SESSION_ID] = this._sessionId;
    if (this.clientName !== undefined) span[ATTR_MCP_CLIENT_NAME] = this.clientName;
    if (this.clientVersion !== undefined) span[ATTR_MCP_CLIENT_VERSION] = this.clientVersion;
    this.spanAttributes = span;
    this.metricAttributes = metric;
  }
}

function safeClientVersion(server: ServerLike): { name?: unknown; version?: unknown } | undefined {
  try {
    return typeof server.getClientVersion === 'function' ? server.getClientVersion() : undefined;
  } catch {
    return undefined;
  }
}
