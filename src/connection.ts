import { context, createContextKey } from '@opentelemetry/api';
import type { Attributes, Span } from '@opentelemetry/api';
import type { HttpPeer, JsonRpcId, ServerLike, SessionRecord, TransportLike } from './internal-types';
import { CLIENT_TYPE_UNKNOWN } from './identity/client-type';
import { capLength, MAX_NAME_LENGTH } from './telemetry/targets';
import { PendingRequests } from './telemetry/pending';
import type { ClientIdentity } from './identity/resolver';
import type { ClientActivityStore, McpDisconnectReason, McpUserContext } from './types';
import {
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_TRACKING_ID,
  ATTR_MCP_CLIENT_TYPE,
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
function currentHttpRequest(): HttpPeer | undefined {
  return context.active().getValue(HTTP_REQUEST_KEY) as HttpPeer | undefined;
}

/** `peerCloses`: whether this transport closes by itself when the client goes away (SSE, in-memory). */
type TransportKind = { transport?: string; protocol?: string; peerCloses: boolean };

/** Classifies a transport once per connection; the SDK classes are recognised by name, others by behaviour. */
function transportKind(transport: TransportLike, hasHttpRequestInfo: boolean, stdio: boolean): TransportKind {
  const name = (transport as object).constructor?.name ?? '';
  if (stdio || name === 'StdioServerTransport' || '_stdin' in transport) return { transport: NETWORK_TRANSPORT_VALUE_PIPE, peerCloses: false };
  if (name === 'SSEServerTransport') return { transport: NETWORK_TRANSPORT_VALUE_TCP, protocol: 'http', peerCloses: true };
  // StreamableHTTPServerTransport (v1, v2), WebStandardStreamableHTTPServerTransport, PerRequestHTTPServerTransport (v2).
  if (name.includes('HTTPServerTransport') || hasHttpRequestInfo) {
    return { transport: NETWORK_TRANSPORT_VALUE_TCP, protocol: 'http', peerCloses: false };
  }
  return { peerCloses: true };
}

/** What the SDK adapter knows about a connection when it creates its state. */
export interface ConnectionOptions {
  /**
   * The Server serves many sessions through one transport (a framework's multiplexing transport), and
   * `transport` is the session's own transport: the Server's client info belongs to whichever client
   * initialized last, so it is never read, and the state travels in each request's context.
   */
  sharedServer?: boolean;
  /** The transport reads stdin, found by the adapter (possibly behind a framework's wrapper). */
  stdio?: boolean;
}

/**
 * Per-connection state: one per (Server, transport) pair, or per session when one Server
 * serves many sessions (`sharedServer`: then `transport` is the session's). Attribute sets that
 * every span and metric point of the connection share are built here once and
 * rebuilt only when the connection learns something (client info at
 * initialize, the negotiated protocol version, the client's identity, the
 * session), not per request.
 */
export class ConnectionState {
  readonly pending = new PendingRequests<PendingRequest>();
  /** Shared by every span of the connection; never mutated once built (spans copy it). */
  spanAttributes: Attributes = {};
  /** Shared by every metric point of the connection. */
  metricAttributes: Attributes = {};
  protocolVersion: string | undefined;
  clientName: string | undefined;
  clientVersion: string | undefined;
  clientType: string = CLIENT_TYPE_UNKNOWN;
  trackingId: string | undefined;
  /** `trackingId` as it may appear on metrics (capped cardinality). */
  metricTrackingId: string | undefined;
  user: McpUserContext | undefined;
  /** Raw credential the identity was computed from, to notice a change (kept in memory only). */
  identityKey: string | undefined;
  /** Whether an identity was computed at all. */
  identified = false;
  session: SessionRecord | undefined;
  /** The request named its stateless-revision envelope (no `initialize` on this connection). */
  statelessRevision = false;
  /** For a stateless-revision request: the holder of the client's synthesised session. */
  synthesizedSession: ConnectionState | undefined;
  /** This state only holds a synthesised session: it has no server or transport of its own. */
  synthetic = false;
  /** Why the transport is closing, when something that knows said so first (server.close, HTTP DELETE, stdin end). */
  closeReason: McpDisconnectReason | undefined;
  /** The last transport error, to tell an error-driven close from others. */
  lastError: { type: string; at: number } | undefined;
  /** Undoes listeners the adapter attached for this connection (stdin end). */
  detach: (() => void) | undefined;
  private _kind: TransportKind | undefined;
  private _sessionId: string | undefined;
  private _httpVersion: string | undefined;
  private _userAttributes: Attributes = {};

  /** Span attributes of the user context (auth client id, scopes, user hash). */
  get userAttributes(): Attributes {
    return this._userAttributes;
  }

  /** One session of a Server that serves many (see ConnectionOptions). */
  readonly sharedServer: boolean;
  private readonly stdio: boolean;

  constructor(
    readonly server: ServerLike,
    readonly transport: TransportLike,
    /** Where this connection's activity goes (read by the activity tool). */
    readonly activity: { readonly activityStore: ClientActivityStore | undefined },
    options?: ConnectionOptions,
  ) {
    this.sharedServer = options?.sharedServer === true;
    this.stdio = options?.stdio === true;
    const client = this.sharedServer ? undefined : safeClientVersion(server);
    if (!client || !this.setClientInfo(client)) this.rebuild();
  }

  /**
   * A holder for the synthesised session of the client `from` speaks for: the same client, transport kind
   * and identity, but none of the per-request server's objects (it outlives them).
   */
  static synthesizedFrom(from: ConnectionState): ConnectionState {
    const holder = new ConnectionState(NO_SERVER, NO_TRANSPORT, from.activity);
    holder.synthetic = true;
    holder._kind = from._kind;
    holder._httpVersion = from._httpVersion;
    holder.protocolVersion = from.protocolVersion;
    holder.clientName = from.clientName;
    holder.clientVersion = from.clientVersion;
    holder.identified = from.identified;
    holder.trackingId = from.trackingId;
    holder.metricTrackingId = from.metricTrackingId;
    holder.clientType = from.clientType;
    holder.user = from.user;
    holder._userAttributes = from._userAttributes;
    holder.rebuild();
    return holder;
  }

  /** Called per message with what the transport passed along; cheap when nothing changed. */
  refresh(hasHttpRequestInfo: boolean, headerProtocolVersion: string | undefined): void {
    let changed = false;
    if (this._kind === undefined || (hasHttpRequestInfo && this._kind.protocol === undefined)) {
      this._kind = transportKind(this.transport, hasHttpRequestInfo, this.stdio);
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

  /** The transport's own session id (`Mcp-Session-Id`), if it has one. */
  get transportSessionId(): string | undefined {
    return this._sessionId;
  }

  /** The session id on spans: the transport's, or the one generated when the session started. */
  get sessionId(): string | undefined {
    return this._sessionId ?? this.session?.id;
  }

  get networkTransport(): string | undefined {
    return this._kind?.transport;
  }

  get networkProtocolName(): string | undefined {
    return this._kind?.protocol;
  }

  /**
   * Whether a close nobody explained means the client went away (SSE, in-memory) rather than
   * the application closing the transport (stdio, Streamable HTTP, which never close by themselves).
   */
  get closesOnPeerDisconnect(): boolean {
    return this._kind?.peerCloses ?? true;
  }

  /** The peer of the HTTP request carrying the current message; the transport's last one without a context manager. */
  get httpPeer(): HttpPeer | undefined {
    return currentHttpRequest() ?? (this.transport as { [HTTP_PEER]?: HttpPeer })[HTTP_PEER];
  }

  /** Returns whether the (length-capped) name or version changed; attributes are rebuilt only then. */
  setClientInfo(info: { name?: unknown; version?: unknown }): boolean {
    const name = typeof info.name === 'string' ? capLength(info.name, MAX_NAME_LENGTH) : undefined;
    const version = typeof info.version === 'string' ? capLength(info.version, MAX_NAME_LENGTH) : undefined;
    if (name === this.clientName && version === this.clientVersion) return false;
    this.clientName = name;
    this.clientVersion = version;
    this.rebuild();
    return true;
  }

  setProtocolVersion(version: unknown): void {
    if (typeof version !== 'string' || version === this.protocolVersion) return;
    this.protocolVersion = version;
    this.rebuild();
  }

  setIdentity(identity: ClientIdentity, metricTrackingId: string | undefined, key: string | undefined): void {
    this.identified = true;
    this.identityKey = key;
    this.trackingId = identity.trackingId;
    this.metricTrackingId = metricTrackingId;
    this.clientType = identity.clientType;
    this.user = identity.user;
    this._userAttributes = identity.userAttributes;
    this.rebuild();
  }

  startSession(session: SessionRecord): void {
    this.session = session;
    this.closeReason = undefined;
    this.rebuild();
  }

  private rebuild(): void {
    const span: Attributes = {};
    const metric: Attributes = {};
    const kind: Partial<TransportKind> = this._kind ?? {};
    if (kind.transport) span[ATTR_NETWORK_TRANSPORT] = metric[ATTR_NETWORK_TRANSPORT] = kind.transport;
    if (kind.protocol) span[ATTR_NETWORK_PROTOCOL_NAME] = metric[ATTR_NETWORK_PROTOCOL_NAME] = kind.protocol;
    if (kind.protocol && this._httpVersion) {
      span[ATTR_NETWORK_PROTOCOL_VERSION] = metric[ATTR_NETWORK_PROTOCOL_VERSION] = this._httpVersion;
    }
    if (this.protocolVersion) span[ATTR_MCP_PROTOCOL_VERSION] = metric[ATTR_MCP_PROTOCOL_VERSION] = this.protocolVersion;
    const sessionId = this.sessionId;
    if (sessionId) span[ATTR_MCP_SESSION_ID] = sessionId;
    if (this.clientName !== undefined) span[ATTR_MCP_CLIENT_NAME] = this.clientName;
    if (this.clientVersion !== undefined) span[ATTR_MCP_CLIENT_VERSION] = this.clientVersion;
    if (this.identified) span[ATTR_MCP_CLIENT_TYPE] = metric[ATTR_MCP_CLIENT_TYPE] = this.clientType;
    if (this.trackingId !== undefined) span[ATTR_MCP_CLIENT_TRACKING_ID] = this.trackingId;
    Object.assign(span, this._userAttributes);
    this.spanAttributes = span;
    this.metricAttributes = metric;
  }
}

const NO_SERVER: ServerLike = {};
const NO_TRANSPORT: TransportLike = { send: () => undefined };

function safeClientVersion(server: ServerLike): { name?: unknown; version?: unknown } | undefined {
  try {
    return typeof server.getClientVersion === 'function' ? server.getClientVersion() : undefined;
  } catch {
    return undefined;
  }
}
