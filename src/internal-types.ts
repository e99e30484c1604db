/*
 * Shapes mcp-otel reads from the MCP SDK and the wire, and its own internal records. The SDK shapes are
 * structural copies, never imports: the SDK is an optional peer and its types must not leak into mcp-otel's
 * declarations. Never exported from the package.
 */
import type { McpSession } from './types';

export type JsonRpcId = string | number;

export interface JsonRpcRequestLike {
  method: string;
  id?: JsonRpcId | null;
  params?: Record<string, unknown>;
}

export interface JsonRpcResponseLike {
  id?: JsonRpcId | null;
  method?: unknown;
  result?: Record<string, unknown>;
  error?: { code?: unknown; message?: unknown };
}

/** The second argument of `Protocol._onrequest` (the SDK's `MessageExtraInfo`). */
export interface MessageExtraLike {
  requestInfo?: { headers?: Record<string, string | string[] | undefined> };
  authInfo?: unknown;
}

export interface TransportLike {
  sessionId?: string;
  send(message: unknown, options?: unknown): Promise<void> | void;
}

/** What the SDK's `Server` exposes that mcp-otel reads (TS-private members included). */
export interface ServerLike {
  _transport?: TransportLike;
  getClientVersion?(): { name?: unknown; version?: unknown } | undefined;
}

/** HTTP details that the transport patches stash on a transport for the requests that follow. */
export interface HttpPeer {
  version?: string;
  address?: string;
  port?: number;
  /** Node `IncomingMessage.headers` of the HTTP request (only on the per-request context value). */
  headers?: Record<string, string | string[] | undefined>;
}

/** A session's mutable record; hooks get it typed as the read-only McpSession. */
export type SessionRecord = { -readonly [K in keyof McpSession]: McpSession[K] } & { lastActivity: number };
