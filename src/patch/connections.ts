import { context } from '@opentelemetry/api';
import type { DiagLogger } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import type { JsonRpcResponseLike, ServerLike, TransportLike } from '../internal-types';
import type { ServerTelemetry } from '../telemetry/server';
import type { PreparedSend } from '../telemetry/client';
import { whenSettled } from '../safely';
import type { ServerRequests } from '../telemetry/server-requests';
import { CONNECTION, SEND_WRAPPED, DIRECT, SESSIONS, LIFECYCLE, CARRIED, stdinOf } from './transport-state';
import type { StdinLike, TransportWithState } from './transport-state';
import { WRAPPER, markWrapper, guard, internalError } from './wrap';
import type { Fn } from './wrap';

/*
 * From transports to connection states: which state a message belongs to (the Server's own transport, or one
 * session of a framework's shared transport), and the transport wrappers that report what happens to it:
 * responses sent, the server's own requests, close, end of stdin.
 */

function isResponse(message: unknown): message is JsonRpcResponseLike {
  if (message === null || typeof message !== 'object') return false;
  const m = message as JsonRpcResponseLike;
  return m.method === undefined && (m.result !== undefined || m.error !== undefined);
}

/**
 * The connection state a message belongs to, created on first use: the state of the server's transport,
 * or, when the message came through a per-session transport that does not feed the Server directly
 * (a framework's multiplexing transport sits between them), the state of that session.
 */
export function connectionOf(server: ServerLike, message: unknown, telemetry: ServerTelemetry, diag: DiagLogger): ConnectionState | undefined {
  const transport = server._transport as TransportWithState | undefined;
  if (transport === undefined || transport === null) return undefined;
  const state = transport[CONNECTION];
  if (state !== undefined && state.server === server) return state; // the usual case: one transport per session
  const carrier = CARRIED.get(message as object)?.transport;
  if (carrier !== undefined && carrier !== transport) return sessionConnection(server, transport, carrier, telemetry, diag);
  // Messages of a transport known to serve many sessions that no session transport carried: not attributable.
  if (transport[SESSIONS] !== undefined) return undefined;
  const stdin = stdinOf(transport);
  const created = telemetry.newConnection(server, transport, { stdio: stdin !== undefined });
  LIFECYCLE.set(created, telemetry.lifecycle);
  transport[CONNECTION] = created;
  transport[DIRECT] = true;
  wrapTransport(transport, telemetry, diag);
  if (stdin !== undefined) watchStdin(stdin, transport, created, telemetry, diag);
  return created;
}

/** The state of one session of a Server that serves many through `shared`; `carrier` is the session's own transport. */
function sessionConnection(
  server: ServerLike,
  shared: TransportWithState,
  carrier: TransportWithState,
  telemetry: ServerTelemetry,
  diag: DiagLogger,
): ConnectionState {
  const existing = carrier[CONNECTION];
  if (existing !== undefined && existing.server === server) return existing;
  let sessions = shared[SESSIONS];
  if (sessions === undefined) {
    sessions = new Set();
    shared[SESSIONS] = sessions;
    wrapTransport(shared, telemetry, diag);
  }
  const state = telemetry.newConnection(server, carrier, { sharedServer: true });
  LIFECYCLE.set(state, telemetry.lifecycle);
  carrier[CONNECTION] = state;
  sessions.add(state);
  watchSessionTransport(carrier, state, sessions, telemetry, diag);
  return state;
}

/**
 * A per-session transport behind a shared one closes without the Server noticing (DELETE, idle
 * close, the framework closing it): its `onclose` and `close` are where the session ends.
 */
function watchSessionTransport(
  carrier: TransportWithState,
  state: ConnectionState,
  sessions: Set<ConnectionState>,
  telemetry: ServerTelemetry,
  diag: DiagLogger,
): void {
  const closed = () => {
    if (carrier[CONNECTION] === state) guard(diag, () => telemetry.lifecycle.connectionClosed(state));
  };
  state.detach = () => sessions.delete(state);
  try {
    const previous = carrier.onclose;
    const onclose = function onclose(this: unknown) {
      closed();
      return typeof previous === 'function' ? (previous as Fn).apply(this, arguments as never) : undefined;
    };
    carrier.onclose = onclose as () => void;
  } catch (err) {
    diag.debug('mcp-otel: cannot watch a session transport for its close', err);
  }
  const originalClose = carrier.close;
  if (typeof originalClose === 'function' && !(originalClose as { [WRAPPER]?: true })[WRAPPER]) {
    carrier.close = markWrapper(function close(this: TransportWithState) {
      const result = originalClose.apply(this, arguments as never);
      whenSettled(result, closed, closed);
      return result;
    });
  }
}

/** The SDK ignores end of stdin (typescript-sdk #2002): report it, the lifecycle ends the session. */
function watchStdin(stdin: StdinLike, transport: TransportWithState, state: ConnectionState, telemetry: ServerTelemetry, diag: DiagLogger): void {
  const onEnd = () => {
    if (transport[CONNECTION] !== state) return;
    guard(diag, () => telemetry.lifecycle.inputEnded(state));
  };
  stdin.once!('end', onEnd);
  state.detach = () => stdin.removeListener!('end', onEnd);
}

/**
 * Wraps a transport's `send` (every response passes through it) and `close`
 * (a safety net: an application that sets `transport.onclose` after connect()
 * cuts the SDK's own close handling off).
 */
function wrapTransport(transport: TransportWithState, telemetry: ServerTelemetry, diag: DiagLogger): void {
  if (transport[SEND_WRAPPED] || typeof transport.send !== 'function') return;
  const originalClose = transport.close;
  if (typeof originalClose === 'function') {
    transport.close = markWrapper(function close(this: TransportWithState) {
      const state = this[CONNECTION];
      const sessions = this[SESSIONS];
      // A shared transport closing (the framework shutting down) takes all its sessions with it.
      if (sessions !== undefined) for (const s of sessions) guard(diag, () => telemetry.lifecycle.serverClosing(s));
      const closed = () => {
        if (state && this[CONNECTION] === state) guard(diag, () => telemetry.lifecycle.connectionClosed(state));
        if (sessions !== undefined) closeSessions(sessions, telemetry, diag);
      };
      const result = originalClose.apply(this, arguments as never);
      whenSettled(result, closed, closed);
      return result;
    });
  }
  const original = transport.send;
  transport.send = function send(this: TransportWithState, message: unknown, options?: unknown) {
    let state = this[CONNECTION];
    if (state === undefined) {
      const sessions = this[SESSIONS];
      if (sessions !== undefined && isResponse(message)) state = sessionOfResponse(sessions, message, telemetry);
    }
    if (state !== undefined && telemetry.outgoing !== undefined && !isResponse(message)) {
      return sendOwn(this, state, message, options, original, telemetry.outgoing, diag) as Promise<void>;
    }
    if (state === undefined || state.pending.size === 0 || !isResponse(message)) {
      return original.call(this, message, options);
    }
    let sent: unknown;
    try {
      sent = original.call(this, message, options);
    } catch (err) {
      try {
        telemetry.sendThrew(state, message, err);
      } catch (internal) {
        internalError(diag, internal);
      }
      throw err;
    }
    // Telemetry is synchronous here; a try/catch rather than guard(): no closure (and no context for
    // `message`) per response.
    try {
      telemetry.responseSent(state, message, sent);
    } catch (err) {
      internalError(diag, err);
    }
    return sent as Promise<void>;
  };
  transport[SEND_WRAPPED] = true;
}

/** A request (or notification) of the server's own: its span is the active context while the transport sends it. */
function sendOwn(transport: TransportWithState, state: ConnectionState, message: unknown, options: unknown, original: TransportLike['send'], outgoing: ServerRequests, diag: DiagLogger): unknown {
  let prepared: PreparedSend | undefined;
  guard(diag, () => (prepared = outgoing.sending(state, message)));
  if (prepared === undefined) return original.call(transport, message, options);
  const send = prepared;
  let sent: unknown;
  try {
    sent = context.with(send.context, () => original.call(transport, send.message, options));
  } catch (err) {
    guard(diag, () => outgoing.sent(state, message, undefined, err ?? new Error('send threw')));
    throw err;
  }
  guard(diag, () => outgoing.sent(state, message, sent));
  return sent;
}

/**
 * The session a response on a shared transport answers: the one in the context the SDK's handler chain
 * runs in; without a context manager, the session with a request of that id in flight.
 */
function sessionOfResponse(sessions: Set<ConnectionState>, message: JsonRpcResponseLike, telemetry: ServerTelemetry): ConnectionState | undefined {
  try {
    const inContext = telemetry.contextConnection();
    if (inContext !== undefined && sessions.has(inContext)) return inContext;
    const id = message.id;
    if (typeof id !== 'string' && typeof id !== 'number') return undefined;
    for (const state of sessions) if (state.pending.has(id)) return state;
  } catch {
    // no session: the response passes untouched
  }
  return undefined;
}

/** Ends every session of a shared transport (each at most once; the reason is whatever was recorded). */
function closeSessions(sessions: Set<ConnectionState>, telemetry: ServerTelemetry, diag: DiagLogger): void {
  for (const state of [...sessions]) guard(diag, () => telemetry.lifecycle.connectionClosed(state));
}

/** The `extra` a per-session transport passed with a message that a framework forwarded without it. */
export function carriedExtra(state: ConnectionState, message: object): unknown {
  return state.sharedServer ? CARRIED.get(message)?.extra : undefined;
}
