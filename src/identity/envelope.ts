import type { ConnectionState } from '../connection';

/*
 * The per-request envelope of the stateless MCP revision (2026-07-28, SEP-2575): no
 * `initialize`, so every request names its protocol version and client in `params._meta`.
 * A server built per request (SDK v2 `createMcpHandler`) learns who is calling only here.
 */
const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';

/**
 * Protocol revisions look like `2026-07-28` (or a draft label). The value is client-supplied and becomes a
 * metric attribute, so anything else is ignored rather than allowed to create series.
 */
const REVISION = /^(?:\d{4}-\d{2}-\d{2}|DRAFT-[\w.-]{1,32})$/;

/**
 * Applies the envelope of one message to its connection. Cheap when nothing changed (the usual case on
 * a long-lived connection whose client repeats the same envelope). Returns whether the client info
 * changed, so that the caller identifies the client again.
 */
export function applyEnvelope(state: ConnectionState, meta: Record<string, unknown>): boolean {
  const version = meta[META_PROTOCOL_VERSION];
  if (typeof version === 'string') {
    if (version !== state.protocolVersion && REVISION.test(version)) state.setProtocolVersion(version);
    // A request that names its revision is one of the stateless revision: its session is synthesised.
    if (version === state.protocolVersion) state.statelessRevision = true;
  }
  const info = meta[META_CLIENT_INFO];
  if (info === null || typeof info !== 'object' || Array.isArray(info)) return false;
  return state.setClientInfo(info as { name?: unknown; version?: unknown });
}
