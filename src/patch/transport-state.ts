import type { ConnectionState } from '../connection';
import type { ServerLike, TransportLike } from '../internal-types';
import type { ServerTelemetry } from '../telemetry/server';
import type { Fn } from './wrap';

/*
 * What the patches keep on the SDK's transport objects (under global symbols, so two copies of mcp-otel agree):
 * the connection state of a transport, whether it feeds a Server directly, and the sessions of a transport that
 * one Server serves many sessions through.
 */

/** On a transport: its connection state (for a per-session transport behind a shared one: the session's). */
export const CONNECTION = Symbol.for('mcp-otel.connection');

export const SEND_WRAPPED = Symbol.for('mcp-otel.send-wrapped');

/** On a transport passed to `Server.connect`: it feeds a Server directly (its messages need no tag). */
export const DIRECT = Symbol.for('mcp-otel.direct');

/** On a transport one Server serves many sessions through: the states of those sessions. */
export const SESSIONS = Symbol.for('mcp-otel.sessions');

/** Whose lifecycle a connection state reports to (the HTTP transport patches are not given the telemetry). */
export const LIFECYCLE = new WeakMap<ConnectionState, ServerTelemetry['lifecycle']>();

export function lifecycleOf(state: ConnectionState): ServerTelemetry['lifecycle'] | undefined {
  return LIFECYCLE.get(state);
}

/** The per-session transport (and the `extra` it passed) of each message it dispatched; only for transports not fed to a Server directly. */
export const CARRIED = new WeakMap<object, { transport: TransportWithState; extra: unknown }>();

export interface StdinLike {
  once?: Function;
  removeListener?: Function;
}

export type TransportWithState = TransportLike & {
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

/** The stdin a stdio transport reads: its own, or that of the SDK transport a framework's wrapper holds. */
export function stdinOf(transport: TransportWithState): StdinLike | undefined {
  const own = transport._stdin;
  const stdin = own ?? (transport.transport !== null && typeof transport.transport === 'object' ? transport.transport._stdin : undefined);
  return stdin && typeof stdin.once === 'function' && typeof stdin.removeListener === 'function' ? stdin : undefined;
}

/** The server's own connection state, and those of the sessions it serves through a shared transport. */
export function statesOf(server: ServerLike): { state: ConnectionState | undefined; sessions: Set<ConnectionState> | undefined } | undefined {
  const transport = server._transport as TransportWithState | undefined;
  if (transport === undefined || transport === null) return undefined;
  const state = transport[CONNECTION];
  const sessions = transport[SESSIONS];
  if (sessions === undefined && (state === undefined || state.server !== server)) return undefined;
  return { state: state !== undefined && state.server === server ? state : undefined, sessions };
}
