import type { AddressMode } from './client-address';
import { DEFAULT_TRACKING_SECRET } from './tracking-id';
import type { ClientActivityStore, McpInstrumentationConfig, McpStatusCodeAttribute } from './types';

/** Headers that are never recorded, whatever the configuration says. */
const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export const ENV_CAPTURE_TOOL_ARGUMENTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS';
export const ENV_CAPTURE_TOOL_RESULTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_RESULTS';
export const ENV_CAPTURE_PROMPT_ARGUMENTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_PROMPT_ARGUMENTS';
export const ENV_CAPTURE_REQUEST_HEADERS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_REQUEST_HEADERS';
export const ENV_CAPTURE_CLIENT_ADDRESS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS';
export const ENV_TRACKING_SECRET = 'OTEL_INSTRUMENTATION_MCP_TRACKING_SECRET';
export const ENV_SESSION_IDLE_TIMEOUT = 'OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT';

const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_MAX_TRACKED_CLIENTS = 200;
const DEFAULT_MAX_METRIC_VALUES = 100;

/** The configuration with defaults and environment overrides applied; read on the hot path. */
export interface ResolvedConfig {
  readonly user: McpInstrumentationConfig;
  readonly ignoreMethods: ReadonlySet<string>;
  readonly captureToolArguments: boolean;
  readonly captureToolResults: boolean;
  readonly capturePromptArguments: boolean;
  readonly captureRequestHeaders: readonly string[];
  /** `undefined` = do not record the client address. */
  readonly clientAddressMode: AddressMode | undefined;
  readonly resourceUriInSpanName: boolean;
  readonly maxCapturedValueLength: number;
  readonly statusCodeAttribute: McpStatusCodeAttribute;
  /** True when any hook needs an info object (so it is built only then). */
  readonly needsRequestInfo: boolean;
  readonly trackingSecret: string;
  readonly trackingIdFromAddress: boolean;
  readonly trackingIdFromUserAgent: boolean;
  readonly captureUserIdentity: boolean;
  readonly maxTrackedClients: number;
  readonly maxMetricAttributeValues: number;
  /** Milliseconds; 0 = never. */
  readonly sessionIdleTimeout: number;
  readonly closeIdleSessions: boolean;
  readonly sessionEvents: boolean;
  readonly activityStore: ClientActivityStore | undefined;
}

type Env = Record<string, string | undefined>;
type Warn = (message: string) => void;

function envBool(env: Env, name: string, fallback: boolean, warn: Warn): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  warn(`${name}=${env[name]} is not a boolean (true/false); using ${fallback}`);
  return fallback;
}

function addressMode(value: unknown, warn: Warn): AddressMode | undefined {
  const raw = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (raw === undefined || raw === '' || raw === false || raw === 'false' || raw === '0') return undefined;
  if (raw === true || raw === 'true' || raw === '1') return 'full';
  if (raw === 'truncate' || raw === 'hash') return raw;
  warn(`captureClientAddress=${String(value)} is not true, false, "truncate" or "hash"; not recording addresses`);
  return undefined;
}

function headerList(names: readonly string[] | undefined, warn: Warn): string[] {
  const out: string[] = [];
  for (const name of names ?? []) {
    const lower = String(name).trim().toLowerCase();
    if (!lower) continue;
    if (FORBIDDEN_HEADERS.has(lower)) warn(`header "${lower}" is never recorded; ignoring it`);
    else if (!out.includes(lower)) out.push(lower);
  }
  return out;
}

/**
 * Applies defaults, then environment variables, which override code so that
 * operators can switch capture on or off without a release.
 */
function nonNegative(value: unknown, fallback: number, what: string, warn: Warn): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (Number.isFinite(n) && n >= 0) return Math.floor(n);
  warn(`${what}=${String(value)} is not a non-negative number; using ${fallback}`);
  return fallback;
}

export function resolveConfig(user: McpInstrumentationConfig, env: Env, warn: Warn, defaultStore?: ClientActivityStore): ResolvedConfig {
  const envHeaders = env[ENV_CAPTURE_REQUEST_HEADERS];
  const statusCodeAttribute = user.statusCodeAttribute ?? 'rpc.response.status_code';
  const maxLen = user.maxCapturedValueLength;
  return {
    user,
    ignoreMethods: new Set(user.ignoreMethods ?? []),
    captureToolArguments: envBool(env, ENV_CAPTURE_TOOL_ARGUMENTS, user.captureToolArguments ?? false, warn),
    captureToolResults: envBool(env, ENV_CAPTURE_TOOL_RESULTS, user.captureToolResults ?? false, warn),
    capturePromptArguments: envBool(env, ENV_CAPTURE_PROMPT_ARGUMENTS, user.capturePromptArguments ?? false, warn),
    captureRequestHeaders: headerList(
      envHeaders !== undefined ? envHeaders.split(',') : user.captureRequestHeaders,
      warn,
    ),
    clientAddressMode: addressMode(env[ENV_CAPTURE_CLIENT_ADDRESS] ?? user.captureClientAddress, warn),
    resourceUriInSpanName: user.resourceUriInSpanName ?? false,
    maxCapturedValueLength: typeof maxLen === 'number' && maxLen > 0 ? Math.floor(maxLen) : 4096,
    statusCodeAttribute: ['rpc.response.status_code', 'rpc.status_code', 'both'].includes(statusCodeAttribute)
      ? statusCodeAttribute
      : 'rpc.response.status_code',
    needsRequestInfo: !!(user.requestHook || user.responseHook || user.ignoreRequestHook),
    trackingSecret: env[ENV_TRACKING_SECRET] || user.trackingSecret || DEFAULT_TRACKING_SECRET,
    trackingIdFromAddress: user.trackingIdFromAddress ?? false,
    trackingIdFromUserAgent: user.trackingIdFromUserAgent ?? false,
    captureUserIdentity: user.captureUserIdentity ?? false,
    maxTrackedClients: nonNegative(user.maxTrackedClients, DEFAULT_MAX_TRACKED_CLIENTS, 'maxTrackedClients', warn),
    maxMetricAttributeValues: nonNegative(user.maxMetricAttributeValues, DEFAULT_MAX_METRIC_VALUES, 'maxMetricAttributeValues', warn),
    sessionIdleTimeout: nonNegative(
      env[ENV_SESSION_IDLE_TIMEOUT] ?? user.sessionIdleTimeout,
      DEFAULT_IDLE_TIMEOUT_MS,
      ENV_SESSION_IDLE_TIMEOUT,
      warn,
    ),
    closeIdleSessions: user.closeIdleSessions ?? false,
    sessionEvents: user.sessionEvents ?? true,
    activityStore: user.activityStore === false ? undefined : (user.activityStore ?? defaultStore),
  };
}
