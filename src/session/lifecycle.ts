import type { Attributes, Span } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import { credentialKey, IdentityResolver } from '../identity/resolver';
import type { MessageExtraLike } from '../internal-types';
import type { TelemetrySource } from '../telemetry/source';
import { callSafely } from '../safely';
import { ATTR_MCP_CLIENT_CAPABILITIES, ATTR_MCP_PROTOCOL_VERSION, ATTR_MCP_SESSION_ID, ERROR_TYPE_CONNECTION_CLOSED, VALUE_OTHER } from '../semconv';
import { SessionTracker } from './tracker';
import { SynthesizedSessions } from './synthesized';
import type { McpDisconnectReason } from '../types';

/** How long after a transport error a close still counts as caused by it. */
const ERROR_CLOSE_WINDOW_MS = 1000;

/**
 * What happens to a connection between messages: who the client is
 * (identity), when its session starts, and why and when it ends. Requests in
 * flight at the end are handed back to the span side through `abandonAll`.
 */
export class SessionLifecycle {
  readonly sessions: SessionTracker;
  private readonly identity: IdentityResolver;
  private readonly synthesized: SynthesizedSessions;

  constructor(
    private readonly source: TelemetrySource,
    private readonly abandonAll: (state: ConnectionState, errorType: string) => void,
  ) {
    this.sessions = new SessionTracker(source);
    this.sessions.onIdle = (state) => this.idle(state);
    this.synthesized = new SynthesizedSessions(this.sessions, source.diag);
    this.identity = new IdentityResolver(source, (what, err) => source.diag.error(`mcp-otel: ${what} failed`, err));
  }

  /** A keyed hash (the tracking secret) for identifiers that must not be recorded raw. */
  hash(material: string): string {
    return this.identity.hash(material);
  }

  /**
   * Per request: identify the client when first seen, when it (re)introduces itself (initialize, or a changed
   * per-request envelope) or when its credentials change; note activity.
   */
  onRequest(state: ConnectionState, extra: MessageExtraLike | undefined, clientChanged: boolean): void {
    const key = credentialKey(extra);
    if (!state.identified || clientChanged || key !== state.identityKey) {
      const identity = this.identity.resolve({
        clientName: state.clientName,
        clientVersion: state.clientVersion,
        extra,
        address: state.httpPeer?.address,
        sessionId: state.transportSessionId,
      });
      const metricId = identity.trackingId === undefined ? undefined : this.sessions.metricTrackingId(identity.trackingId);
      state.setIdentity(identity, metricId, key);
    }
    if (state.session === undefined && state.statelessRevision && this.source.config.sessionIdleTimeout > 0) {
      state.synthesizedSession = this.synthesized.sessionFor(state);
    } else this.touch(state);
  }

  /** Any message counts as activity; a client that returns after a timeout starts a new session. */
  touch(state: ConnectionState): void {
    const session = state.session ?? state.synthesizedSession?.session;
    if (session === undefined) return;
    if (session.endTime === undefined) this.sessions.touch(session);
    else if (session === state.session && session.disconnectReason === 'timeout') this.sessions.start(state, session.capabilities);
  }

  /** An operation of the connection's client finished: it counts in its session, if one is open. */
  operationEnded(state: ConnectionState, failed: boolean): void {
    const session = state.session ?? state.synthesizedSession?.session;
    if (session !== undefined) this.sessions.counted(session, failed);
  }

  /** The server answered initialize: the protocol version is negotiated and the session starts. */
  initialized(state: ConnectionState, span: Span, metricAttributes: Attributes, params: Record<string, unknown> | undefined, result: Record<string, unknown>): void {
    state.setProtocolVersion(result.protocolVersion);
    const version = state.protocolVersion;
    if (version !== undefined) {
      span.setAttribute(ATTR_MCP_PROTOCOL_VERSION, version);
      metricAttributes[ATTR_MCP_PROTOCOL_VERSION] = version;
    }
    // Stateless HTTP (no session id, a server per request) has no session to track.
    if (state.networkProtocolName === 'http' && state.transportSessionId === undefined) return;
    const capabilities = params?.capabilities;
    this.sessions.start(state, capabilities !== null && typeof capabilities === 'object' ? (capabilities as Record<string, unknown>) : undefined);
    const session = state.session;
    if (!session) return;
    span.setAttribute(ATTR_MCP_SESSION_ID, session.id);
    span.setAttribute(ATTR_MCP_CLIENT_CAPABILITIES, (['sampling', 'elicitation', 'roots'] as const).filter((c) => session.capabilities[c]));
  }

  /*
   * What the SDK adapter saw happen to a connection; the reasons are decided here.
   * Each records why a close that follows happens; the first explanation wins.
   */

  /** The application is closing the server (`server.close()`, or the framework shutting down). */
  serverClosing(state: ConnectionState): void {
    state.closeReason ??= 'server_shutdown';
  }

  /** The client asked to end its session (HTTP DELETE); `deleteSettled` follows when that request is done. */
  deleteRequested(state: ConnectionState): void {
    state.closeReason ??= 'client_disconnect';
  }

  /** A DELETE was handled; if the session survived it (rejected: wrong session id), the reason is forgotten. */
  deleteSettled(state: ConnectionState): void {
    if (state.session?.endTime === undefined && state.closeReason === 'client_disconnect') state.closeReason = undefined;
  }

  /** The client closed its end of the input (stdin): it is gone, so the session ends now. */
  inputEnded(state: ConnectionState): void {
    state.closeReason ??= 'client_disconnect';
    this.connectionClosed(state);
  }

  /** The transport reported an error; a close that follows soon is attributed to it. */
  transportError(state: ConnectionState, err: unknown): void {
    const type = err instanceof Error ? err.constructor.name || 'Error' : VALUE_OTHER;
    state.lastError = { type, at: Date.now() };
  }

  /**
   * The connection is closed (or closing): requests in flight end with
   * `connection_closed` and the session ends, exactly once, with the reason
   * whoever knew it recorded first, else the transport's usual meaning of a close.
   */
  connectionClosed(state: ConnectionState): void {
    this.abandonAll(state, ERROR_TYPE_CONNECTION_CLOSED);
    let reason: McpDisconnectReason;
    let errorType: string | undefined;
    if (state.closeReason) reason = state.closeReason;
    else if (state.lastError && Date.now() - state.lastError.at <= ERROR_CLOSE_WINDOW_MS) {
      reason = 'error';
      errorType = state.lastError.type;
    } else reason = state.closesOnPeerDisconnect ? 'client_disconnect' : 'server_shutdown';
    if (this.sessions.end(state, reason, errorType) && state.synthetic) this.synthesized.ended(state);
    state.detach?.();
    state.detach = undefined;
  }

  /** Ends every open session, e.g. at process shutdown. */
  endAll(reason: McpDisconnectReason): void {
    for (const state of this.sessions.openConnections()) {
      state.closeReason ??= reason;
      this.connectionClosed(state);
    }
  }

  private idle(state: ConnectionState): void {
    this.sessions.end(state, 'timeout');
    if (state.synthetic) {
      this.synthesized.ended(state);
      return; // no transport of its own to close
    }
    if (!this.source.config.closeIdleSessions) return;
    const transport = state.transport as { close?: () => unknown };
    callSafely(() => transport.close?.call(transport), (err) => this.source.diag.warn('mcp-otel: closing an idle session failed', err));
  }
}
