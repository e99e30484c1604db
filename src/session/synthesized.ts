import type { DiagLogger } from '@opentelemetry/api';
import { ConnectionState } from '../connection';
import type { SessionTracker } from './tracker';

/** Open synthesised sessions kept at most (one per client); past it, new clients get none until some end. */
const MAX_SYNTHESIZED = 10_000;

/**
 * Sessions for clients of the stateless revision (2026-07-28), which send no `initialize` and no session id,
 * and whose requests may each reach a new Server (SDK v2 `createMcpHandler`). A client's requests, told
 * apart by its tracking ID, belong to one session until `sessionIdleTimeout` passes without one; the
 * tracker then ends it with `timeout` (or `server_shutdown` at shutdown) like any other.
 *
 * Each session lives on a holder ConnectionState that outlives the per-request ones, so the tracker's
 * metrics, events, hooks, idle sweep and shutdown treat it as an ordinary session. Only open sessions
 * are kept: an ended one is forgotten, and the client's next request starts a new one (`returning`).
 */
export class SynthesizedSessions {
  private readonly open = new Map<string, ConnectionState>();
  private warned = false;

  constructor(
    private readonly sessions: SessionTracker,
    private readonly diag: DiagLogger,
  ) {}

  /** The holder of the session `state`'s client is in, started if it had none; undefined without a tracking ID. */
  sessionFor(state: ConnectionState): ConnectionState | undefined {
    const trackingId = state.trackingId;
    if (trackingId === undefined) return undefined;
    const holder = this.open.get(trackingId);
    const session = holder?.session;
    if (session !== undefined && session.endTime === undefined) {
      this.sessions.touch(session);
      return holder;
    }
    if (this.open.size >= MAX_SYNTHESIZED) {
      if (!this.warned) this.diag.warn(`mcp-otel: ${MAX_SYNTHESIZED} synthesised sessions are open; new stateless clients get none until some end`);
      this.warned = true;
      return undefined;
    }
    const created = ConnectionState.synthesizedFrom(state);
    this.sessions.start(created, undefined);
    if (created.session === undefined) return undefined;
    this.open.set(trackingId, created);
    return created;
  }

  /** Called when a holder's session has ended. */
  ended(holder: ConnectionState): void {
    const trackingId = holder.trackingId;
    if (trackingId !== undefined && this.open.get(trackingId) === holder) this.open.delete(trackingId);
  }
}
