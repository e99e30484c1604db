import { context } from '@opentelemetry/api';
import { callSafely, isThenable, whenSettled } from '../safely';
import type { DiagLogger } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import { HTTP_PEER, HTTP_REQUEST_KEY } from '../connection';
import type { HttpPeer } from '../internal-types';
import type { ServerTelemetry } from '../telemetry/server';
import { CONNECTION, DIRECT, lifecycleOf, CARRIED } from './transport-state';
import type { TransportWithState } from './transport-state';
import { PATCHED, WRAPPER, wrapMethods, markWrapper } from './wrap';
import type { Fn, Patchable } from './wrap';

/*
 * The HTTP transports' request handlers (`handleRequest`, `handlePostMessage`): the HTTP version, peer address
 * and headers of each request, which the SDK's `requestInfo` lacks, and a DELETE as the client ending its session.
 */

/**
 * A transport that feeds a Server directly but whose class was not patched (a framework's bundled copy
 * of an SDK transport, SDK v2's): its HTTP handler gets the same wrapper, on the instance.
 */
export function wrapHttpHandlers(transport: TransportWithState, telemetry: ServerTelemetry, diag: DiagLogger): void {
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
      if (deleting && isThenable(result)) {
        const s = state!;
        const settle = () => callSafely(() => lifecycleOf(s)?.deleteSettled(s), () => undefined); // telemetry only
        whenSettled(result, settle, settle);
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
