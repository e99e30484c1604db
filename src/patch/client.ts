import { context } from '@opentelemetry/api';
import type { Attributes, Context, DiagLogger } from '@opentelemetry/api';
import {
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_TRANSPORT,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  NETWORK_TRANSPORT_VALUE_PIPE,
  NETWORK_TRANSPORT_VALUE_TCP,
} from '../semconv';
import type { ClientTelemetry, OutgoingChannel } from '../telemetry/client';

/*
 * How mcp-otel hooks the SDK's `Client` (1.x `@modelcontextprotocol/sdk/client`, 2.x `@modelcontextprotocol/client`):
 * - `connect(transport)` (own-property wrapper on Client.prototype): the transport's `send` is wrapped once; every
 *   request and notification the client sends passes through it with its final id and params, in the caller's
 *   context, in both SDK lines (v2's request funnel and era envelope differ, its send does not);
 * - `_onresponse`: every response, before the SDK settles the request's promise;
 * - `_onclose`: the connection is gone (requests still waiting, the client's session);
 * - `close`: the application ends the connection itself (a normal end of the session).
 * Nothing here decides what is emitted: ClientTelemetry does.
 */

const PATCHED = Symbol.for('mcp-otel.client.patched');
const CHANNEL = Symbol.for('mcp-otel.client.channel');
const SEND_WRAPPED = Symbol.for('mcp-otel.client.send-wrapped');
/** On a transport: the client connected through it last. */
const CLIENT = Symbol.for('mcp-otel.client.client');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Fn = (this: any, ...args: any[]) => any;
interface ClientTransport {
  send(message: unknown, options?: unknown): unknown;
  sessionId?: string;
  /** The HTTP and WebSocket client transports' endpoint (SDK-private). */
  _url?: { protocol?: unknown; hostname?: unknown; port?: unknown };
  /** StdioClientTransport's command (SDK-private). */
  _serverParams?: { command?: unknown };
  [CHANNEL]?: OutgoingChannel;
  [SEND_WRAPPED]?: true;
  [CLIENT]?: ClientLike;
}
interface ClientLike {
  [CHANNEL]?: OutgoingChannel;
  /** SDK 2.x: the version negotiated by `initialize` or `server/discover`. */
  _negotiatedProtocolVersion?: unknown;
}
interface PatchRecord {
  owner: object;
  restore(): void;
}
type Patchable = Record<string | symbol, unknown> & { [PATCHED]?: PatchRecord };

/** Patches the prototype of the SDK's Client class. Returns false if it was patched already or is not a Client. */
export function patchClientClass(cls: unknown, telemetry: ClientTelemetry, diag: DiagLogger): boolean {
  const proto = (cls as { prototype?: Patchable } | undefined)?.prototype;
  if (!proto || typeof proto.connect !== 'function' || typeof proto._onresponse !== 'function') return false;
  if (proto[PATCHED]) return false;
  const guard = (what: string, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      diag.error(`mcp-otel: client ${what} failed; continuing without telemetry for it`, err);
    }
  };
  const saved: Array<[string, PropertyDescriptor | undefined]> = [];
  const wrap = (name: string, makeWrapper: (original: Fn) => Fn) => {
    const original = proto[name];
    if (typeof original !== 'function') return;
    saved.push([name, Object.getOwnPropertyDescriptor(proto, name)]);
    Object.defineProperty(proto, name, { value: makeWrapper(original as Fn), writable: true, configurable: true, enumerable: false });
  };

  wrap('connect', (original) =>
    function connect(this: ClientLike, transport: ClientTransport, ...rest: unknown[]) {
      guard('connect', () => attach(this, transport, telemetry, guard));
      return original.call(this, transport, ...rest);
    },
  );
  wrap('_onresponse', (original) =>
    function _onresponse(this: ClientLike, response: unknown, ...rest: unknown[]) {
      const channel = this[CHANNEL];
      if (channel) guard('response', () => telemetry.responseReceived(channel, response));
      return original.call(this, response, ...rest);
    },
  );
  wrap('_onclose', (original) =>
    function _onclose(this: ClientLike, ...args: unknown[]) {
      const channel = this[CHANNEL];
      if (channel) {
        this[CHANNEL] = undefined;
        guard('close', () => telemetry.closed(channel));
      }
      return original.apply(this, args);
    },
  );
  wrap('close', (original) =>
    function close(this: ClientLike, ...args: unknown[]) {
      const channel = this[CHANNEL];
      if (channel) channel.closedByApplication = true;
      return original.apply(this, args);
    },
  );
  proto[PATCHED] = {
    owner: telemetry,
    restore() {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(proto, name, descriptor);
        else delete proto[name];
      }
      delete proto[PATCHED];
    },
  };
  return true;
}

/** Restores a Client class exactly, if `owner` patched it. */
export function unpatchClientClass(cls: unknown, owner: object): void {
  const proto = (cls as { prototype?: Patchable } | undefined)?.prototype;
  const record = proto?.[PATCHED];
  if (record && record.owner === owner) record.restore();
}

/** A new channel for the client's connection over `transport`, and `send` wrapped once per transport. */
function attach(client: ClientLike, transport: ClientTransport, telemetry: ClientTelemetry, guard: (what: string, fn: () => void) => void): void {
  if (transport === null || typeof transport !== 'object' || typeof transport.send !== 'function') return;
  const { span, metric } = describeTransport(transport);
  const channel = telemetry.newChannel(span, metric);
  client[CHANNEL] = channel;
  transport[CHANNEL] = channel;
  transport[CLIENT] = client;
  if (transport[SEND_WRAPPED]) return;
  const original = transport.send as Fn;
  transport[SEND_WRAPPED] = true;
  transport.send = function send(this: ClientTransport, message: unknown, ...rest: unknown[]) {
    const current = this[CHANNEL];
    let prepared: { message: unknown; context: Context } | undefined;
    if (current) {
      guard('send', () => {
        refresh(current, this, this[CLIENT]);
        prepared = telemetry.sending(current, message);
      });
    }
    if (!current || !prepared) return original.call(this, message, ...rest);
    const outgoing = prepared.message;
    let result: unknown;
    try {
      result = context.with(prepared.context, () => original.call(this, outgoing, ...rest));
    } catch (err) {
      guard('send', () => telemetry.sent(current, message, undefined, err ?? new Error('send threw')));
      throw err;
    }
    guard('send', () => telemetry.sent(current, message, result));
    return result;
  };
}

/** Session id (HTTP, after initialize) and protocol version (SDK 2.x keeps it on the client) as they are now. */
function refresh(channel: OutgoingChannel, transport: ClientTransport, client: ClientLike | undefined): void {
  const sessionId = transport.sessionId;
  if (typeof sessionId === 'string' && channel.spanAttributes[ATTR_MCP_SESSION_ID] !== sessionId) {
    channel.spanAttributes = { ...channel.spanAttributes, [ATTR_MCP_SESSION_ID]: sessionId };
  }
  const version = client?._negotiatedProtocolVersion;
  if (typeof version === 'string' && version.length <= 64 && channel.metricAttributes[ATTR_MCP_PROTOCOL_VERSION] !== version) {
    channel.spanAttributes = { ...channel.spanAttributes, [ATTR_MCP_PROTOCOL_VERSION]: version };
    channel.metricAttributes = { ...channel.metricAttributes, [ATTR_MCP_PROTOCOL_VERSION]: version };
  }
}

const DEFAULT_PORTS: Record<string, number> = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };

/** Transport attributes from the client transport's shape: an endpoint URL (HTTP, SSE, WebSocket) or a command (stdio). */
function describeTransport(transport: ClientTransport): { span: Attributes; metric: Attributes } {
  const attributes: Attributes = {};
  const url = transport._url;
  if (url !== null && typeof url === 'object' && typeof url.protocol === 'string' && typeof url.hostname === 'string') {
    attributes[ATTR_NETWORK_TRANSPORT] = NETWORK_TRANSPORT_VALUE_TCP;
    attributes[ATTR_NETWORK_PROTOCOL_NAME] = url.protocol.startsWith('ws') ? 'websocket' : 'http';
    attributes[ATTR_SERVER_ADDRESS] = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
    if (port) attributes[ATTR_SERVER_PORT] = port;
  } else if (typeof transport._serverParams?.command === 'string') {
    attributes[ATTR_NETWORK_TRANSPORT] = NETWORK_TRANSPORT_VALUE_PIPE;
  }
  return { span: attributes, metric: { ...attributes } };
}
