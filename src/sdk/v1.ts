import { context } from '@opentelemetry/api';
import type { Context, DiagLogger } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import { HTTP_PEER, HTTP_REQUEST_KEY } from '../connection';
import type { HttpPeer } from '../internal-types';
import type { JsonRpcRequestLike, JsonRpcResponseLike, MessageExtraLike, ServerLike, TransportLike } from '../internal-types';
import type { ServerTelemetry } from '../server-telemetry';
import { telemetryExtra } from './web-request';

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
 * Nothing here decides what telemetry to emit: that is ServerTelemetry's job.
 */

const PATCHED = Symbol.for('mcp-otel.sdk-v1.patched');
const CONNECTION = Symbol.for('mcp-otel.connection');
const SEND_WRAPPED = Symbol.for('mcp-otel.send-wrapped');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (this: any, ...args: any[]) => unknown;
interface PatchRecord {
  /** Who patched: only the owner may unpatch (a second instrumentation must not undo the first). */
  owner: object;
  restore(): void;
}
type Patchable = Record<string | symbol, unknown> & { [PATCHED]?: PatchRecord };
type TransportWithState = TransportLike & {
  [CONNECTION]?: ConnectionState;
  [SEND_WRAPPED]?: true;
  close?: () => Promise<void> | void;
  /** StdioServerTransport's input stream (SDK-private). */
  _stdin?: { once?: Function; removeListener?: Function };
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

/** The connection state of a server's current transport, created (and its `send` wrapped) on first use. */
function connectionOf(server: ServerLike, telemetry: ServerTelemetry, diag: DiagLogger): ConnectionState | undefined {
  const transport = server._transport as TransportWithState | undefined;
  if (transport === undefined || transport === null) return undefined;
  let state = transport[CONNECTION];
  if (state === undefined || state.server !== server) {
    state = telemetry.newConnection(server, transport);
    transport[CONNECTION] = state;
    wrapTransport(transport, telemetry, diag);
    watchStdin(transport, state, telemetry, diag);
  }
  return state;
}

/** The SDK ignores end of stdin (typescript-sdk #2002): the client is gone, so the session ends here. */
function watchStdin(transport: TransportWithState, state: ConnectionState, telemetry: ServerTelemetry, diag: DiagLogger): void {
  const stdin = transport._stdin;
  if (!stdin || typeof stdin.once !== 'function' || typeof stdin.removeListener !== 'function') return;
  const onEnd = () => {
    if (transport[CONNECTION] !== state) return;
    state.closeReason ??= 'client_disconnect';
    guard(diag, () => telemetry.lifecycle.connectionClosed(state));
  };
  stdin.once('end', onEnd);
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
    transport.close = function close(this: TransportWithState) {
      const state = this[CONNECTION];
      const closed = () => {
        if (state && this[CONNECTION] === state) guard(diag, () => telemetry.lifecycle.connectionClosed(state));
      };
      const result = originalClose.apply(this, arguments as never);
      if (result && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).then(closed, closed);
      else closed();
      return result;
    };
  }
  const original = transport.send;
  transport.send = function send(this: TransportWithState, message: unknown, options?: unknown) {
    const state = this[CONNECTION];
    if (state === undefined || state.pending.size === 0 || !isResponse(message)) {
      return original.call(this, message, options);
    }
    let sent: unknown;
    try {
      sent = original.call(this, message, options);
    } catch (err) {
      guard(diag, () => telemetry.sendThrew(state, message, err));
      throw err;
    }
    guard(diag, () => telemetry.responseSent(state, message, sent));
    return sent as Promise<void>;
  };
  transport[SEND_WRAPPED] = true;
}

function stateOf(server: ServerLike): ConnectionState | undefined {
  const state = (server._transport as TransportWithState | undefined)?.[CONNECTION];
  return state !== undefined && state.server === server ? state : undefined;
}

function guard(diag: DiagLogger, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    diag.error('mcp-otel: internal error, telemetry for this message is incomplete', err);
  }
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
          const state = connectionOf(this, telemetry, diag);
          if (state) ctx = telemetry.startRequest(state, request, telemetryExtra(extra));
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
          state = connectionOf(this, telemetry, diag);
          if (state) started = telemetry.startNotification(state, notification, telemetryExtra(extra));
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
        const state = stateOf(this);
        if (state !== undefined) guard(diag, () => telemetry.lifecycle.connectionClosed(state));
        return original.apply(this, arguments as never);
      },
    _onerror: (original) =>
      function _onerror(this: ServerLike, error: unknown) {
        const state = stateOf(this);
        if (state !== undefined) guard(diag, () => telemetry.lifecycle.transportError(state, error));
        return original.apply(this, arguments as never);
      },
    close: (original) =>
      function close(this: ServerLike) {
        const state = stateOf(this);
        if (state !== undefined) state.closeReason ??= 'server_shutdown';
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

/**
 * Remembers the HTTP version, peer and headers of the request being handled. On the transport for the
 * messages that follow (the version is per connection; a stateless server has a transport per request);
 * and, only when per-request details are recorded (client address, headers), in the request's async
 * context as well, because concurrent requests of one session would otherwise see each other's peer.
 * Entering a context per HTTP request costs noticeably on Node 20, so it is not done otherwise.
 */
function httpPeerWrapper(perRequest: () => boolean): (original: Fn) => Fn {
  return (original) =>
    function handleHttp(this: Record<symbol, unknown>, req: unknown) {
      let peer: HttpPeer | undefined;
      try {
        const r = req as
          | { httpVersion?: string; socket?: { remoteAddress?: string; remotePort?: number }; headers?: HttpPeer['headers'] }
          | undefined;
        if (r && typeof r === 'object') {
          peer = { version: r.httpVersion, address: r.socket?.remoteAddress, port: r.socket?.remotePort, headers: r.headers };
          this[HTTP_PEER] = peer;
        }
      } catch {
        // a malformed request object is the SDK's to reject
      }
      // An HTTP DELETE is the client ending its session; if the transport closes while handling it, that is why.
      const state = (this as unknown as TransportWithState)[CONNECTION];
      const deleting = state !== undefined && (req as { method?: string } | undefined)?.method === 'DELETE';
      if (deleting) state.closeReason ??= 'client_disconnect';
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
        const settle = () => {
          // A rejected DELETE (wrong session id) leaves the session open: forget the reason.
          if (state.session?.endTime === undefined && state.closeReason === 'client_disconnect') state.closeReason = undefined;
        };
        (result as Promise<void>).then(settle, settle);
      }
      return result;
    };
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
