import { randomUUID } from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import type { TelemetrySource } from '../telemetry/source';
import { ValueLimiter } from '../telemetry/value-limiter';
import { EVENT_MCP_SESSION_END, EVENT_MCP_SESSION_START, sessionEventAttributes } from './events';
import {
  ATTR_ERROR_TYPE,
  ATTR_MCP_CLIENT_RETURNING,
  ATTR_MCP_CLIENT_TYPE,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_DISCONNECT_REASON,
  ATTR_MCP_SESSION_SYNTHESIZED,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_TRANSPORT,
  TRACKING_ID_OVERFLOW,
} from '../semconv';
import type { SessionRecord } from '../internal-types';
import type { McpDisconnectReason } from '../types';


/** How many tracking IDs "seen before" remembers (oldest forgotten first). */
const SEEN_LIMIT = 10_000;

/**
 * Session lifecycle: starts at `initialize`, ends exactly once with a
 * disconnect reason, and reports both to metrics and hooks. Holds the open
 * sessions only (for the idle sweep and shutdown), never closed ones.
 */
export class SessionTracker {
  private readonly open = new Set<ConnectionState>();
  private readonly seen = new Map<string, true>();
  private readonly trackingIds = new ValueLimiter(() => this.source.config.maxTrackedClients, TRACKING_ID_OVERFLOW);
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly source: TelemetrySource) {}

  /** The tracking ID to put on per-client metric series: itself until the cap is reached, then `_overflow`. */
  metricTrackingId(trackingId: string): string {
    return this.trackingIds.admit(trackingId);
  }

  start(state: ConnectionState, capabilities: Record<string, unknown> | undefined): void {
    const current = state.session;
    if (current && current.endTime === undefined) {
      current.protocolVersion ??= state.protocolVersion; // initialized again on the same connection
      return;
    }
    const trackingId = state.trackingId;
    const returning = trackingId !== undefined && this.seen.has(trackingId);
    if (trackingId !== undefined) {
      this.seen.delete(trackingId);
      this.seen.set(trackingId, true);
      if (this.seen.size > SEEN_LIMIT) this.seen.delete(this.seen.keys().next().value as string);
    }
    const transportId = state.transportSessionId;
    const now = Date.now();
    const session: SessionRecord = {
      id: transportId ?? randomUUID(),
      idFromTransport: transportId !== undefined,
      clientName: state.clientName,
      clientVersion: state.clientVersion,
      clientType: state.clientType,
      trackingId,
      returning,
      protocolVersion: state.protocolVersion,
      transport: state.networkTransport,
      capabilities: {
        sampling: capabilities?.sampling !== undefined,
        elicitation: capabilities?.elicitation !== undefined,
        roots: capabilities?.roots !== undefined,
      },
      user: state.user,
      startTime: now,
      requestCount: 0,
      errorCount: 0,
      lastActivity: now,
    };
    if (state.synthetic) session.synthesized = true;
    state.startSession(session);
    this.open.add(state);
    const attrs = this.sessionAttributes(state);
    this.source.metrics.activeSessions.add(1, attrs);
    const startedAttrs = Object.assign({}, attrs);
    startedAttrs[ATTR_MCP_CLIENT_RETURNING] = returning;
    this.source.metrics.sessionsStarted.add(1, startedAttrs);
    if (this.source.config.sessionEvents) this.source.emitEvent(EVENT_MCP_SESSION_START, sessionEventAttributes(state, session));
    const hook = this.source.config.user.onSessionStart;
    if (hook) this.source.safe(() => hook(session), 'onSessionStart');
    this.ensureSweeper();
  }

  /** Ends the connection's session if one is open; returns false if there was none (exactly-once). */
  end(state: ConnectionState, reason: McpDisconnectReason, errorType?: string): boolean {
    const session = state.session;
    if (!session || session.endTime !== undefined) return false;
    session.endTime = Date.now();
    session.disconnectReason = reason;
    if (errorType !== undefined) session.errorType = errorType;
    this.open.delete(state);
    const attrs = this.sessionAttributes(state);
    this.source.metrics.activeSessions.add(-1, attrs);
    const durationAttrs: Attributes = Object.assign({}, attrs);
    durationAttrs[ATTR_MCP_SESSION_DISCONNECT_REASON] = reason;
    if (errorType !== undefined) durationAttrs[ATTR_ERROR_TYPE] = errorType;
    if (session.protocolVersion) durationAttrs[ATTR_MCP_PROTOCOL_VERSION] = session.protocolVersion;
    this.source.metrics.sessionDuration.record((session.endTime - session.startTime) / 1000, durationAttrs);
    if (this.source.config.sessionEvents) this.source.emitEvent(EVENT_MCP_SESSION_END, sessionEventAttributes(state, session));
    const hook = this.source.config.user.onSessionEnd;
    if (hook) this.source.safe(() => hook(session, reason), 'onSessionEnd');
    if (this.open.size === 0) this.stopSweeper();
    return true;
  }

  /** Activity of the session's client: its idle clock starts again. */
  touch(session: SessionRecord): void {
    if (session.endTime === undefined) session.lastActivity = Date.now();
  }

  /** One operation of the session finished (`failed`: with an `error.type`). */
  counted(session: SessionRecord, failed: boolean): void {
    if (session.endTime !== undefined) return;
    session.requestCount++;
    if (failed) session.errorCount++;
  }

  /** Every open session, e.g. to end them all at shutdown. */
  openConnections(): ConnectionState[] {
    return [...this.open];
  }

  /** Set by the owner: what to do with an idle connection (end its session, maybe close it). */
  onIdle: ((state: ConnectionState) => void) | undefined;

  /** Hands idle sessions (no request in flight, nothing for `sessionIdleTimeout`) to `onIdle`. */
  private sweep(): void {
    const timeout = this.source.config.sessionIdleTimeout;
    const onIdle = this.onIdle;
    if (timeout <= 0 || !onIdle) return;
    const now = Date.now();
    for (const state of this.open) {
      const session = state.session;
      if (session && state.pending.size === 0 && now - session.lastActivity >= timeout) onIdle(state);
    }
  }

  private ensureSweeper(): void {
    const timeout = this.source.config.sessionIdleTimeout;
    if (this.sweeper || timeout <= 0) return;
    const every = Math.max(10, Math.min(Math.floor(timeout / 2), 60_000));
    this.sweeper = setInterval(() => this.sweep(), every);
    this.sweeper.unref();
  }

  private stopSweeper(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  private sessionAttributes(state: ConnectionState): Attributes {
    const attrs: Attributes = { [ATTR_MCP_CLIENT_TYPE]: state.clientType };
    if (state.networkTransport) attrs[ATTR_NETWORK_TRANSPORT] = state.networkTransport;
    if (state.networkProtocolName) attrs[ATTR_NETWORK_PROTOCOL_NAME] = state.networkProtocolName;
    if (state.synthetic) attrs[ATTR_MCP_SESSION_SYNTHESIZED] = true;
    return attrs;
  }
}
