import { context } from '@opentelemetry/api';
import type { Context, DiagLogger } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import { HTTP_PEER, HTTP_REQUEST_KEY } from '../connection';
import type { HttpPeer } from '../internal-types';
import type { JsonRpcRequestLike, JsonRpcResponseLike, MessageExtraLike, ServerLike, TransportLike } from '../internal-types';
import type { ServerTelemetry } from '../telemetry/server';
import { telemetryExtra } from './web-request';
import type { PreparedSend } from '../telemetry/client';
import { callSafely, whenSettled } from '../safely';
import type { ServerRequests } from '../telemetry/server-requests';

/*
 * How mcp-otel hooks @modelcontextprotocol/sdk 1.x (README, "How the SDK is hooked"):
 * - own-property wrappers for `_onrequest`, `_onnotification` and `_onclose` on
 *   `Server.prototype` (not `Protocol.prototype`, which `Client` shares). The SDK
 *   looks these up at call time, so servers connected earlier are covered too.
 *   `_onrequest` sees every request, including those the SDK rejects.
 * - a per-transport `send` wrapper: every response, SDK errors included, passes
 *   through it, so spans end there by JSON-RPC id.
 * - `handleRequest` / `handlePostMessage` of the HTTP transports, to learn the
 *   HTTP version and peer address the Web-standard `requestInfo` lacks.
 * - SDK v2 passes a Web-standard `Request` where v1 passes `requestInfo`: web-request.ts
 *   gives telemetry a v1-shaped view of it.
 * - `connect`, to know which transports feed a Server directly, and to give transports of
 *   classes not patched above (a framework's bundled copy, SDK v2) the same HTTP wrapper.
 * - Frameworks: one Server may serve many sessions through a transport of the framework's
 *   own that forwards messages from a per-session SDK transport (mcp-framework's
 *   http-stream), often without the SDK's `extra`. The per-session transport's HTTP wrapper
 *   tags the messages it dispatches, so the Server's hooks know each message's session
 *   (its own transport, session id, headers) and keep a state per session; the shared
 *   transport's responses find theirs in the request's context. A framework's wrapper around
 *   StdioServerTransport (mcp-framework) is looked through for the stdin to watch.
 * Nothing here decides what telemetry to emit, or why a session ended: the adapter reports
 * what happened (stdin ended, a DELETE, a close, an error) to ServerTelemetry and its lifecycle.
 */

const PATCHED = Symbol.for('mcp-otel.sdk-v1.patched');
/** On a transport: its connection state (for a per-session transport behind a shared one: the session's). */
const CONNECTION = Symbol.for('mcp-otel.connection');
const SEND_WRAPPED = Symbol.for('mcp-otel.send-wrapped');
/** On a transport passed to `Server.connect`: it feeds a Server directly (its messages need no tag). */
const DIRECT = Symbol.for('mcp-otel.direct');
/** On a transport one Server serves many sessions through: the states of those sessions. */
const SESSIONS = Symbol.for('mcp-otel.sessions');
/** Marks wrappers, so a function is never wrapped twice. */
const WRAPPER = Symbol.for('mcp-otel.wrapper');

/** Whose lifecycle a connection state reports to (the HTTP transport patches are not given the telemetry). */
const LIFECYCLE = new WeakMap<ConnectionState, ServerTelemetry['lifecycle']>();
function lifecycleOf(state: ConnectionState): ServerTelemetry['lifecycle'] | undefined {
  return LIFECYCLE.get(state);
}

/** The per-session transport (and the `extra` it passed) of each message it dispatched; only for transports not fed to a Server directly. */
const CARRIED = new WeakMap<object, { transport: TransportWithState; extra: unknown }>();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (this: any, ...args: any[]) => unknown;
interface PatchRecord {
  /** Who patched: only the owner may unpatch (a second instrumentation must not undo the first). */
  owner: object;
  restore(): void;
}
type Patchable = Record<string | symbol, unknown> & { [PATCHED]?: PatchRecord };
interface StdinLike {
  once?: Function;
  removeListener?: Function;
}
type TransportWithState = TransportLike & {
  [CONNECTION]?: ConnectionState;
  [SEND_WRAPPED]?: true;
  [DIRECT]?: true;
  [SESSIONS]?: Set<ConnectionState>;
  close?: () => Promise<void> | void;
  onclose?: (() => void) | undefined;
  onmessage?: Fn | undefined;
  /** StdioServerTransport's input stream (SDK-private). */
  _stdin?: StdinLike;
  /** A framework's wrapper around an SDK transport (mcp-framework's StdioServerTransport). */
  transport?: { _stdin?: StdinLike };
};

/** Replaces methods on a prototype with wrappers; `restore` puts back exactly what was there (own or inherited). */
function wrapMethods(proto: Patchable, owner: object, wrappers: Record<string, (original: Fn) => Fn>): PatchRecord {
  const saved: Array<[string, PropertyDescriptor | undefined]> = [];
  for (const [name, makeWrapper] of Object.entries(wrappers)) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    saved.push([name, Object.getOwnPropertyDescriptor(proto, name)]);
    Object.defineProperty(proto, name, { value: makeWrapper(original as Fn), writable: true, configurable: true, enumerable: false });
  }
  return {
    owner,
    restore() {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(proto, name, descriptor);
        else delete proto[name];
      }
    },
  };
}

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
function connectionOf(server: ServerLike, message: unknown, telemetry: ServerTelemetry, diag: DiagLogger): ConnectionState | undefined {
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

/** The stdin a stdio transport reads: its own, or that of the SDK transport a framework's wrapper holds. */
function stdinOf(transport: TransportWithState): StdinLike | undefined {
  const own = transport._stdin;
  const stdin = own ?? (transport.transport !== null && typeof transport.transport === 'object' ? transport.transport._stdin : undefined);
  return stdin && typeof stdin.once === 'function' && typeof stdin.removeListener === 'function' ? stdin : undefined;
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
    const s = state;
    let sent: unknown;
    try {
      sent = original.call(this, message, options);
    } catch (err) {
      guard(diag, () => telemetry.sendThrew(s, message, err));
      throw err;
    }
    guard(diag, () => telemetry.responseSent(s, message, sent));
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

function markWrapper<F extends Function>(fn: F): F {
  (fn as unknown as { [WRAPPER]?: true })[WRAPPER] = true;
  return fn;
}

/** The server's own connection state, and those of the sessions it serves through a shared transport. */
function statesOf(server: ServerLike): { state: ConnectionState | undefined; sessions: Set<ConnectionState> | undefined } | undefined {
  const transport = server._transport as TransportWithState | undefined;
  if (transport === undefined || transport === null) return undefined;
  const state = transport[CONNECTION];
  const sessions = transport[SESSIONS];
  if (sessions === undefined && (state === undefined || state.server !== server)) return undefined;
  return { state: state !== undefined && state.server === server ? state : undefined, sessions };
}

/** Runs telemetry from patched SDK code: its failure is logged, never thrown into the SDK. */
function guard(diag: DiagLogger, fn: () => void): void {
  callSafely(fn, (err) => diag.error('mcp-otel: internal error, telemetry for this message is incomplete', err));
}

/** Patches a v1 `Server` class (ESM or CJS copy). Returns false if it was already patched or is not recognisable. */
export function patchServerClass(Server: unknown, telemetry: ServerTelemetry, diag: DiagLogger): boolean {
  const proto = (Server as { prototype?: Patchable } | undefined)?.prototype;
  if (!proto) return false;
  if (proto[PATCHED]) return false;
  if (typeof proto._onrequest !== 'function' || typeof proto._onnotification !== 'function') {
    diag.warn('mcp-otel: this @modelcontextprotocol/sdk Server has no _onrequest/_onnotification; not instrumenting it');
    return false;
  }
  const record = wrapMethods(proto, telemetry, {
    _onrequest: (original) =>
      function _onrequest(this: ServerLike, request: JsonRpcRequestLike, extra?: MessageExtraLike) {
        let ctx: Context | undefined;
        try {
          const state = connectionOf(this, request, telemetry, diag);
          if (state) ctx = telemetry.startRequest(state, request, telemetryExtra(extra ?? carriedExtra(state, request)));
        } catch (err) {
          diag.error('mcp-otel: could not start the request span', err);
        }
        return ctx === undefined ? original.call(this, request, extra) : context.with(ctx, original, this, request, extra);
      },
    _onnotification: (original) =>
      function _onnotification(this: ServerLike, notification: JsonRpcRequestLike, extra?: MessageExtraLike) {
        let state: ConnectionState | undefined;
        let started: ReturnType<ServerTelemetry['startNotification']>;
        try {
          state = connectionOf(this, notification, telemetry, diag);
          if (state) started = telemetry.startNotification(state, notification, telemetryExtra(extra ?? carriedExtra(state, notification)));
        } catch (err) {
          diag.error('mcp-otel: could not start the notification span', err);
        }
        if (started === undefined || state === undefined) return original.call(this, notification, extra);
        try {
          return context.with(started.context, original, this, notification, extra);
        } finally {
          const s = state;
          const st = started;
          guard(diag, () => telemetry.endNotification(s, notification.method, st));
        }
      },
    _onclose: (original) =>
      function _onclose(this: ServerLike) {
        const states = statesOf(this);
        if (states !== undefined) {
          const { state, sessions } = states;
          if (state !== undefined) guard(diag, () => telemetry.lifecycle.connectionClosed(state));
          if (state !== undefined && telemetry.outgoing) guard(diag, () => telemetry.outgoing!.closed(state));
          if (sessions !== undefined) closeSessions(sessions, telemetry, diag);
        }
        return original.apply(this, arguments as never);
      },
    _onresponse: (original) =>
      function _onresponse(this: ServerLike, response: unknown) {
        const state = telemetry.outgoing ? statesOf(this)?.state : undefined;
        if (state !== undefined) guard(diag, () => telemetry.outgoing!.responseReceived(state, response));
        return original.apply(this, arguments as never);
      },
    _onerror: (original) =>
      function _onerror(this: ServerLike, error: unknown) {
        const state = statesOf(this)?.state;
        if (state !== undefined) guard(diag, () => telemetry.lifecycle.transportError(state, error));
        return original.apply(this, arguments as never);
      },
    close: (original) =>
      function close(this: ServerLike) {
        const states = statesOf(this);
        if (states !== undefined) {
          const { state, sessions } = states;
          if (state !== undefined) guard(diag, () => telemetry.lifecycle.serverClosing(state));
          if (sessions !== undefined) for (const s of sessions) guard(diag, () => telemetry.lifecycle.serverClosing(s));
        }
        return original.apply(this, arguments as never);
      },
    connect: (original) =>
      function connect(this: ServerLike, transport: unknown) {
        try {
          if (transport !== null && typeof transport === 'object') {
            const t = transport as TransportWithState;
            t[DIRECT] = true;
            wrapHttpHandlers(t, telemetry, diag);
          }
        } catch (err) {
          diag.debug('mcp-otel: could not prepare a transport at connect()', err);
        }
        return original.apply(this, arguments as never);
      },
  });
  proto[PATCHED] = record;
  return true;
}

/** Undoes `patchServerClass` or `patchHttpTransportClass` if `owner` made that patch. */
export function unpatchClass(cls: unknown, owner: object): void {
  const proto = (cls as { prototype?: Patchable } | undefined)?.prototype;
  const record = proto?.[PATCHED];
  if (!proto || !record || record.owner !== owner) return;
  record.restore();
  delete proto[PATCHED];
}

/** The `extra` a per-session transport passed with a message that a framework forwarded without it. */
function carriedExtra(state: ConnectionState, message: object): unknown {
  return state.sharedServer ? CARRIED.get(message)?.extra : undefined;
}

/**
 * A transport that feeds a Server directly but whose class was not patched (a framework's bundled copy
 * of an SDK transport, SDK v2's): its HTTP handler gets the same wrapper, on the instance.
 */
function wrapHttpHandlers(transport: TransportWithState, telemetry: ServerTelemetry, diag: DiagLogger): void {
  const wrap = httpPeerWrapper(() => telemetry.needsPerRequestPeer());
  for (const name of ['handleRequest', 'handlePostMessage'] as const) {
    const handler = (transport as unknown as Record<string, unknown>)[name];
    if (typeof handler !== 'function' || (handler as { [WRAPPER]?: true })[WRAPPER]) continue;
    try {
      (transport as unknown as Record<string, unknown>)[name] = wrap(handler as Fn);
    } catch (err) {
      diag.debug(`mcp-otel: cannot wrap ${name} of a transport`, err);
    }
  }
}

/**
 * A transport that is not fed to a Server directly hands its messages to someone else (a framework's
 * transport shared by many sessions): its `onmessage` tags each message with the transport and the
 * `extra` it came with, which the framework may not pass on. Installed again if the framework replaces it.
 */
function tagMessages(transport: TransportWithState): void {
  const current = transport.onmessage;
  if (typeof current !== 'function' || (current as { [WRAPPER]?: true })[WRAPPER]) return;
  transport.onmessage = markWrapper(function onmessage(this: unknown, message: unknown, extra: unknown) {
    if (transport[DIRECT] !== true && message !== null && typeof message === 'object') CARRIED.set(message, { transport, extra });
    return current.apply(this, arguments as never);
  });
}

/**
 * Remembers the HTTP version, peer and headers of the request being handled. On the transport for the
 * messages that follow (the version is per connection; a stateless server has a transport per request);
 * and, only when per-request details are recorded (client address, headers), in the request's async
 * context as well, because concurrent requests of one session would otherwise see each other's peer.
 * Entering a context per HTTP request costs noticeably on Node 20, so it is not done otherwise.
 */
function httpPeerWrapper(perRequest: () => boolean): (original: Fn) => Fn {
  return (original) =>
    markWrapper(function handleHttp(this: Record<symbol, unknown>, req: unknown) {
      let peer: HttpPeer | undefined;
      const transport = this as unknown as TransportWithState;
      let state: ConnectionState | undefined;
      let deleting = false;
      try {
        const r = req as
          | { httpVersion?: string; method?: string; socket?: { remoteAddress?: string; remotePort?: number }; headers?: HttpPeer['headers'] }
          | undefined;
        // Node's IncomingMessage (a Web-standard Request has no version, socket or header record).
        if (r && typeof r === 'object' && typeof r.httpVersion === 'string') {
          peer = { version: r.httpVersion, address: r.socket?.remoteAddress, port: r.socket?.remotePort, headers: r.headers };
          this[HTTP_PEER] = peer;
        }
        if (transport[DIRECT] !== true) tagMessages(transport);
        // An HTTP DELETE is the client ending its session; if the transport closes while handling it, that is why.
        state = transport[CONNECTION];
        deleting = state !== undefined && r !== null && typeof r === 'object' && r.method === 'DELETE';
        if (deleting) lifecycleOf(state!)?.deleteRequested(state!);
      } catch {
        // a malformed request object is the SDK's to reject
      }
      const args = arguments;
      let inContext = false;
      try {
        inContext = peer !== undefined && perRequest();
      } catch {
        // configuration unreadable: the transport-level peer will do
      }
      const result = inContext
          ? context.with(context.active().setValue(HTTP_REQUEST_KEY, peer), () => original.apply(this, args as never))
          : original.apply(this, args as never);
      if (deleting && result && typeof (result as Promise<void>).then === 'function') {
        const s = state!;
        const settle = () => {
          try {
            lifecycleOf(s)?.deleteSettled(s);
          } catch {
            // telemetry only
          }
        };
        (result as Promise<void>).then(settle, settle);
      }
      return result;
    });
}

/** Patches a v1 HTTP transport class (`StreamableHTTPServerTransport` or `SSEServerTransport`). */
export function patchHttpTransportClass(
  Transport: unknown,
  method: 'handleRequest' | 'handlePostMessage',
  owner: object,
  perRequest: () => boolean,
): boolean {
  const proto = (Transport as { prototype?: Patchable } | undefined)?.prototype;
  if (!proto || proto[PATCHED] || typeof proto[method] !== 'function') return false;
  proto[PATCHED] = wrapMethods(proto, owner, { [method]: httpPeerWrapper(perRequest) });
  return true;
}
