import type { MessageExtraLike } from '../internal-types';

/*
 * SDK v2's HTTP transports (WebStandardStreamableHTTPServerTransport, PerRequestHTTPServerTransport) pass
 * the Web-standard `Request` as `extra.request` instead of v1's `extra.requestInfo.headers`. Telemetry reads
 * the v1 shape, so the adapter gives it a view in that shape; the SDK's own `extra` is never touched.
 */
interface WebRequestLike {
  headers?: { forEach?: (fn: (value: string, name: string) => void) => void };
}

const VIEWS = new WeakMap<object, MessageExtraLike>();

/** `extra` as telemetry reads it; the same object when it already has `requestInfo` or no Web request. */
export function telemetryExtra(extra: unknown): MessageExtraLike | undefined {
  if (extra === null || typeof extra !== 'object') return undefined;
  const e = extra as MessageExtraLike & { request?: WebRequestLike };
  if (e.requestInfo !== undefined) return e;
  const request = e.request;
  const headers = request?.headers;
  if (!headers || typeof headers.forEach !== 'function') return e;
  // One view per Request: the messages of a batch share their HTTP request.
  let view = VIEWS.get(request);
  if (view === undefined) {
    const record: Record<string, string> = {};
    headers.forEach((value, name) => {
      record[name] = value; // Headers yields lower-case names, as Node's IncomingMessage does
    });
    view = { authInfo: e.authInfo, requestInfo: { headers: record } };
    VIEWS.set(request, view);
  }
  return view;
}
