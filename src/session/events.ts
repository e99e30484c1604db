import type { Attributes } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import {
  ATTR_ERROR_TYPE,
  ATTR_MCP_CLIENT_CAPABILITIES,
  ATTR_MCP_CLIENT_NAME,
  ATTR_MCP_CLIENT_RETURNING,
  ATTR_MCP_CLIENT_TRACKING_ID,
  ATTR_MCP_CLIENT_TYPE,
  ATTR_MCP_CLIENT_VERSION,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_DISCONNECT_REASON,
  ATTR_MCP_SESSION_ID,
  ATTR_MCP_SESSION_SYNTHESIZED,
  ATTR_NETWORK_TRANSPORT,
} from '../semconv';
import type { SessionRecord } from '../internal-types';

/*
 * Session start and end as OpenTelemetry log events (`mcp.session.start`,
 * `mcp.session.end`), one record per session, for systems that want session
 * facts rather than aggregates. Non-standard; documented in README.
 */

export const EVENT_MCP_SESSION_START = 'mcp.session.start';
export const EVENT_MCP_SESSION_END = 'mcp.session.end';
/** Non-standard event attributes. */
const ATTR_MCP_SESSION_DURATION = 'mcp.session.duration';
const ATTR_MCP_SESSION_REQUEST_COUNT = 'mcp.session.request_count';
const ATTR_MCP_SESSION_ERROR_COUNT = 'mcp.session.error_count';

export function sessionEventAttributes(state: ConnectionState, session: SessionRecord): Attributes {
  const attrs: Attributes = {
    [ATTR_MCP_SESSION_ID]: session.id,
    [ATTR_MCP_CLIENT_TYPE]: session.clientType,
    [ATTR_MCP_CLIENT_RETURNING]: session.returning,
    [ATTR_MCP_CLIENT_CAPABILITIES]: (['sampling', 'elicitation', 'roots'] as const).filter((c) => session.capabilities[c]),
  };
  if (session.clientName !== undefined) attrs[ATTR_MCP_CLIENT_NAME] = session.clientName;
  if (session.clientVersion !== undefined) attrs[ATTR_MCP_CLIENT_VERSION] = session.clientVersion;
  if (session.trackingId !== undefined) attrs[ATTR_MCP_CLIENT_TRACKING_ID] = session.trackingId;
  if (session.protocolVersion !== undefined) attrs[ATTR_MCP_PROTOCOL_VERSION] = session.protocolVersion;
  if (session.transport !== undefined) attrs[ATTR_NETWORK_TRANSPORT] = session.transport;
  if (session.synthesized) attrs[ATTR_MCP_SESSION_SYNTHESIZED] = true;
  Object.assign(attrs, state.userAttributes);
  if (session.endTime !== undefined) {
    attrs[ATTR_MCP_SESSION_DISCONNECT_REASON] = session.disconnectReason;
    attrs[ATTR_MCP_SESSION_DURATION] = (session.endTime - session.startTime) / 1000;
    attrs[ATTR_MCP_SESSION_REQUEST_COUNT] = session.requestCount;
    attrs[ATTR_MCP_SESSION_ERROR_COUNT] = session.errorCount;
    if (session.errorType !== undefined) attrs[ATTR_ERROR_TYPE] = session.errorType;
  }
  return attrs;
}
