/*
 * Copies of the unstable semantic-convention definitions mcp-otel uses.
 * The incubating entry point of @opentelemetry/semantic-conventions must not be
 * imported at run time (its contents change in minor releases), so the
 * constants live here. Source: OpenTelemetry GenAI semantic conventions,
 * docs/gen-ai/mcp.md (genai main, after PR #404, 2026-08) and JS semconv 1.45.0.
 * @see https://github.com/open-telemetry/opentelemetry-js/tree/main/semantic-conventions#unstable-semconv
 */

/** @experimental The name of the request or notification method. */
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name' as const;
/** @experimental The MCP protocol version negotiated for the session. */
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version' as const;
/** @experimental The value of the resource uri. */
export const ATTR_MCP_RESOURCE_URI = 'mcp.resource.uri' as const;
/** @experimental Identifies the MCP session. */
export const ATTR_MCP_SESSION_ID = 'mcp.session.id' as const;

/** @experimental A string representation of the JSON-RPC request id. */
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id' as const;
/**
 * @experimental Status code of the RPC response (the JSON-RPC error code as a string).
 * Renamed to `rpc.status_code` in core semconv (PR #3921); the MCP text still uses this name.
 */
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code' as const;

/** @experimental Name of the tool utilized by the agent. */
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name' as const;
/** @experimental The name of the operation being performed. */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name' as const;
/** @experimental Execute a tool. */
export const GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL = 'execute_tool' as const;
/** @experimental The name of the prompt that uniquely identifies it. */
export const ATTR_GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name' as const;
/** @experimental Parameters passed to the tool call (opt-in, sensitive). */
export const ATTR_GEN_AI_TOOL_CALL_ARGUMENTS = 'gen_ai.tool.call.arguments' as const;
/** @experimental The result returned by the tool call (opt-in, sensitive). */
export const ATTR_GEN_AI_TOOL_CALL_RESULT = 'gen_ai.tool.call.result' as const;
/** @experimental Prefix of `gen_ai.prompt.variable.<name>` (opt-in, sensitive). */
export const ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX = 'gen_ai.prompt.variable.' as const;

/** @experimental Duration of the MCP request or notification as observed on the receiver. */
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration' as const;
/** @experimental The duration of the MCP session as observed on the MCP server. */
export const METRIC_MCP_SERVER_SESSION_DURATION = 'mcp.server.session.duration' as const;
/** @experimental Duration of the MCP request or notification as observed on the sender from the time it was sent until the response or ack is received. */
export const METRIC_MCP_CLIENT_OPERATION_DURATION = 'mcp.client.operation.duration' as const;
/** @experimental The duration of the MCP session as observed on the MCP client. */
export const METRIC_MCP_CLIENT_SESSION_DURATION = 'mcp.client.session.duration' as const;

/** Advisory bucket boundaries for the MCP duration histograms, in seconds. */
export const MCP_DURATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];

/** Stable core attributes (from the stable entry point, repeated so the file is the single list of names used). */
export const ATTR_ERROR_TYPE = 'error.type' as const;
export const ATTR_NETWORK_TRANSPORT = 'network.transport' as const;
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name' as const;
export const ATTR_NETWORK_PROTOCOL_VERSION = 'network.protocol.version' as const;
export const ATTR_CLIENT_ADDRESS = 'client.address' as const;
export const ATTR_CLIENT_PORT = 'client.port' as const;
export const ATTR_SERVER_ADDRESS = 'server.address' as const;
export const ATTR_SERVER_PORT = 'server.port' as const;
export const NETWORK_TRANSPORT_VALUE_PIPE = 'pipe' as const;
export const NETWORK_TRANSPORT_VALUE_TCP = 'tcp' as const;

/*
 * Attributes that are NOT in the semantic conventions. They are namespaced and
 * listed as non-standard in README.
 */
/** Non-standard: `clientInfo.name` sent at initialize (proposed in the MCP observability RFC). */
export const ATTR_MCP_CLIENT_NAME = 'mcp.client.name' as const;
/** Non-standard: `clientInfo.version` sent at initialize. */
export const ATTR_MCP_CLIENT_VERSION = 'mcp.client.version' as const;

/** Server-side JSON-RPC codes that are the caller's fault: recorded, but not errors (genai PR #404). */
export const CALLER_FAULT_CODES: ReadonlySet<number> = new Set([-32700, -32600, -32601, -32602, -32002]);

/** `error.type` of a `tools/call` whose result has `isError: true`. */
export const ERROR_TYPE_TOOL_ERROR = 'tool_error' as const;
/** `error.type` values mcp-otel sets when no response was sent. */
export const ERROR_TYPE_CANCELLED = 'cancelled' as const;
export const ERROR_TYPE_CONNECTION_CLOSED = 'connection_closed' as const;
export const ERROR_TYPE_SEND_FAILED = 'send_failed' as const;
/** The sender gave up waiting for the response (the conventions' example value for a request without one). */
export const ERROR_TYPE_TIMEOUT = 'timeout' as const;

/** Non-standard: stable, non-reversible client ID (HMAC); see README "Client tracking". */
export const ATTR_MCP_CLIENT_TRACKING_ID = 'mcp.client.tracking_id' as const;
/** Non-standard: classification of the client software from clientInfo. */
export const ATTR_MCP_CLIENT_TYPE = 'mcp.client.type' as const;
/** Non-standard: whether the tracking ID was seen in an earlier session of this process. */
export const ATTR_MCP_CLIENT_RETURNING = 'mcp.client.returning' as const;
/** Non-standard: the session was synthesised from a stateless-revision client's tracking ID and inactivity (no `initialize`, no session id). */
export const ATTR_MCP_SESSION_SYNTHESIZED = 'mcp.session.synthesized' as const;
/** Non-standard: why a session ended. */
export const ATTR_MCP_SESSION_DISCONNECT_REASON = 'mcp.session.disconnect_reason' as const;
/** Non-standard: capabilities the client declared at initialize. */
export const ATTR_MCP_CLIENT_CAPABILITIES = 'mcp.client.capabilities' as const;
/** Non-standard: OAuth client id and scopes from the SDK's authInfo. */
export const ATTR_MCP_AUTH_CLIENT_ID = 'mcp.auth.client_id' as const;
export const ATTR_MCP_AUTH_SCOPES = 'mcp.auth.scopes' as const;
/** Semconv user.* (registry, development): the hash is keyed, the identity fields opt-in. */
export const ATTR_USER_HASH = 'user.hash' as const;
export const ATTR_USER_EMAIL = 'user.email' as const;
export const ATTR_USER_FULL_NAME = 'user.full_name' as const;

/** Non-standard metrics (mcp.server.session.duration is standard). */
export const METRIC_MCP_SERVER_SESSION_ACTIVE = 'mcp.server.session.active' as const;
export const METRIC_MCP_SERVER_SESSION_STARTED = 'mcp.server.session.started' as const;
export const METRIC_MCP_SERVER_CLIENT_OPERATIONS = 'mcp.server.client.operations' as const;

/** The semconv session buckets stop at 300 s; sessions last hours (semconv issue #314), so they go on to a day. */
export const MCP_SESSION_DURATION_BUCKETS = [...MCP_DURATION_BUCKETS, 600, 1800, 3600, 7200, 14400, 28800, 86400];
/**
 * The semantic conventions' fallback value (as for `error.type`): a value mcp-otel cannot classify, or a
 * client-chosen value past its cap (`maxMetricAttributeValues`, the activity store's breakdowns).
 */
export const VALUE_OTHER = '_OTHER' as const;
/** Tracking-ID value for clients past the `maxTrackedClients` cap. */
export const TRACKING_ID_OVERFLOW = '_overflow' as const;
