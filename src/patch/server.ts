import { context } from '@opentelemetry/api';
import type { Context, DiagLogger } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import type { JsonRpcRequestLike, MessageExtraLike, ServerLike } from '../internal-types';
import type { ServerTelemetry } from '../telemetry/server';
import { telemetryExtra } from './web-request';
import { connectionOf, carriedExtra } from './connections';
import { wrapHttpHandlers } from './http-transport';
import { DIRECT, statesOf } from './transport-state';
import type { TransportWithState } from './transport-state';
import { PATCHED, wrapMethods, guard } from './wrap';
import type { Patchable } from './wrap';

/*
 * How mcp-otel hooks the MCP SDK's Server, 1.x and 2.x alike (README, "How the SDK is hooked"):
 * - own-property wrappers for `_onrequest`, `_onnotification`, `_onresponse`, `_onerror`,
 *   `_onclose` and `close` on
 *   `Server.prototype` (not `Protocol.prototype`, which `Client` shares). The SDK
 *   looks these up at call time, so servers connected earlier are covered too.
 *   `_onrequest` sees every request, including those the SDK rejects.
 * - a per-transport `send` wrapper (connections.ts): every response, SDK errors included,
 *   passes through it, so spans end there by JSON-RPC id.
 * - `handleRequest` / `handlePostMessage` of the HTTP transports (http-transport.ts), to learn
 *   the HTTP version and peer address the Web-standard `requestInfo` lacks.
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

/** Patches an SDK `Server` class (1.x ESM or CJS copy, or 2.x). Returns false if it was already patched or is not recognisable. */
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
        eachState(this, (state, own) => {
          guard(diag, () => telemetry.lifecycle.connectionClosed(state));
          if (own && telemetry.outgoing) guard(diag, () => telemetry.outgoing!.closed(state));
        });
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
        eachState(this, (state) => guard(diag, () => telemetry.lifecycle.serverClosing(state)));
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

/** Calls `report` for the Server's own connection state (`own`), then for each session it serves through a shared transport. */
function eachState(server: ServerLike, report: (state: ConnectionState, own: boolean) => void): void {
  const states = statesOf(server);
  if (states === undefined) return;
  if (states.state !== undefined) report(states.state, true);
  if (states.sessions !== undefined) for (const session of [...states.sessions]) report(session, false);
}
