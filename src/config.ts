import type { AddressMode } from './identity/client-address';
import { DEFAULT_TRACKING_SECRET } from './identity/tracking-id';
import type { ClientActivityStore, McpInstrumentationConfig, McpStatusCodeAttribute } from './types';

/** Headers that are never recorded, whatever the configuration says. */
const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

const ENV_CAPTURE_TOOL_ARGUMENTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS';
const ENV_CAPTURE_TOOL_RESULTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_RESULTS';
const ENV_CAPTURE_PROMPT_ARGUMENTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_PROMPT_ARGUMENTS';
const ENV_CAPTURE_REQUEST_HEADERS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_REQUEST_HEADERS';
const ENV_CAPTURE_CLIENT_ADDRESS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS';
const ENV_TRACKING_SECRET = 'OTEL_INSTRUMENTATION_MCP_TRACKING_SECRET';
const ENV_SESSION_IDLE_TIMEOUT = 'OTEL_INSTRUMENTATION_MCP_SESSION_IDLE_TIMEOUT';

const DEFAULT_IDLE_TIMEOUT_MS = 30 * 60 * 1000;
const DEFAULT_MAX_TRACKED_CLIENTS = 200;
const DEFAULT_MAX_METRIC_VALUES = 100;
const DEFAULT_MAX_CAPTURED_LENGTH = 4096;
const STATUS_CODE_ATTRIBUTES: readonly McpStatusCodeAttribute[] = ['rpc.response.status_code', 'rpc.status_code', 'both'];

/** The configuration with defaults and environment overrides applied; read on the hot path. */
export interface ResolvedConfig {
  readonly user: McpInstrumentationConfig;
  /** Whether the sending side (Client, and the server's own requests) is traced. */
  readonly client: boolean;
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

/*
 * Every value is checked where it is read: a bad one gets one warning naming where it came from (the option
 * or the environment variable), the value, and what is used instead; nothing throws.
 */

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function envBool(env: Env, name: string, fallback: boolean, warn: Warn): boolean {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  warn(`${name}=${shown(env[name])} is not a boolean (true, false, 1, 0); using ${fallback}`);
  return fallback;
}

function bool(value: unknown, name: string, fallback: boolean, warn: Warn): boolean {
  if (value === undefined) return fallback;
  if (typeof value === 'boolean') return value;
  warn(`${name}=${shown(value)} is not a boolean; using ${fallback}`);
  return fallback;
}

function addressMode(value: unknown, name: string, warn: Warn): AddressMode | undefined {
  const raw = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (raw === undefined || raw === '' || raw === false || raw === 'false' || raw === '0') return undefined;
  if (raw === true || raw === 'true' || raw === '1') return 'full';
  if (raw === 'truncate' || raw === 'hash') return raw;
  warn(`${name}=${shown(value)} is not true, false, "truncate" or "hash"; not recording client addresses`);
  return undefined;
}

function stringList(value: unknown, name: string, warn: Warn): string[] {
  if (value === undefined) return [];
  if (typeof value === 'string') {
    warn(`${name}=${shown(value)} is not an array of strings; using [${shown(value)}]`);
    return [value];
  }
  if (!Array.isArray(value)) {
    warn(`${name}=${shown(value)} is not an array of strings; using []`);
    return [];
  }
  const strings = value.filter((v): v is string => typeof v === 'string');
  if (strings.length !== value.length) warn(`${name} has entries that are not strings (${shown(value)}); ignoring them`);
  return strings;
}

function headerList(names: readonly string[], warn: Warn): string[] {
  const out: string[] = [];
  for (const name of names) {
    const lower = name.trim().toLowerCase();
    if (!lower) continue;
    if (FORBIDDEN_HEADERS.has(lower)) warn(`header "${lower}" is never recorded; ignoring it`);
    else if (!out.includes(lower)) out.push(lower);
  }
  return out;
}

function nonNegative(value: unknown, fallback: number, name: string, warn: Warn): number {
  if (value === undefined || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value.trim()) : typeof value === 'number' ? value : NaN;
  if (Number.isFinite(n) && n >= 0) return Math.floor(n);
  warn(`${name}=${shown(value)} is not a non-negative number; using ${fallback}`);
  return fallback;
}

function positive(value: unknown, fallback: number, name: string, warn: Warn): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 1) return Math.floor(value);
  warn(`${name}=${shown(value)} is not a positive number; using ${fallback}`);
  return fallback;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], fallback: T, name: string, warn: Warn): T {
  if (value === undefined) return fallback;
  if (allowed.includes(value as T)) return value as T;
  warn(`${name}=${shown(value)} is not one of ${allowed.map((a) => `"${a}"`).join(', ')}; using "${fallback}"`);
  return fallback;
}

const HOOKS = ['ignoreRequestHook', 'requestHook', 'responseHook', 'redact', 'trackingId', 'onSessionStart', 'onSessionEnd'] as const;

/** The user's options with hooks that are not functions taken out (they would throw at every call). */
function withValidHooks(user: McpInstrumentationConfig, warn: Warn): McpInstrumentationConfig {
  let clean: McpInstrumentationConfig | undefined;
  for (const name of HOOKS) {
    const hook = user[name];
    if (hook === undefined || typeof hook === 'function') continue;
    warn(`${name}=${shown(hook)} is not a function; ignoring it`);
    clean ??= { ...user };
    delete clean[name];
  }
  return clean ?? user;
}

function activityStore(value: unknown, fallback: ClientActivityStore | undefined, warn: Warn): ClientActivityStore | undefined {
  if (value === undefined) return fallback;
  if (value === false) return undefined;
  const store = value as Partial<ClientActivityStore> | null;
  if (store !== null && typeof store === 'object' && typeof store.record === 'function') return value as ClientActivityStore;
  warn(`activityStore=${shown(value)} is not a ClientActivityStore (an object with record()) or false; using the default in-memory store`);
  return fallback;
}

/** The environment wins over code, so that operators can switch capture on or off without a release. */
function fromEnv(env: Env, name: string, codeValue: unknown, codeName: string): [value: unknown, source: string] {
  const raw = env[name];
  return raw !== undefined && raw.trim() !== '' ? [raw, name] : [codeValue, codeName];
}

/** Applies defaults, then environment variables, checking every value. */
export function resolveConfig(options: McpInstrumentationConfig, env: Env, warn: Warn, defaultStore?: ClientActivityStore): ResolvedConfig {
  const user = withValidHooks(options, warn);
  const envHeaders = env[ENV_CAPTURE_REQUEST_HEADERS];
  const headers = envHeaders !== undefined ? envHeaders.split(',') : stringList(user.captureRequestHeaders, 'captureRequestHeaders', warn);
  const [address, addressFrom] = fromEnv(env, ENV_CAPTURE_CLIENT_ADDRESS, user.captureClientAddress, 'captureClientAddress');
  const [idle, idleFrom] = fromEnv(env, ENV_SESSION_IDLE_TIMEOUT, user.sessionIdleTimeout, 'sessionIdleTimeout');
  const secret = env[ENV_TRACKING_SECRET] || user.trackingSecret;
  if (user.trackingSecret !== undefined && (typeof user.trackingSecret !== 'string' || user.trackingSecret === '')) {
    warn(`trackingSecret=${shown(user.trackingSecret)} is not a non-empty string; using the built-in key`);
  }
  return {
    user,
    client: bool(user.client, 'client', true, warn),
    ignoreMethods: new Set(stringList(user.ignoreMethods, 'ignoreMethods', warn)),
    captureToolArguments: envBool(env, ENV_CAPTURE_TOOL_ARGUMENTS, bool(user.captureToolArguments, 'captureToolArguments', false, warn), warn),
    captureToolResults: envBool(env, ENV_CAPTURE_TOOL_RESULTS, bool(user.captureToolResults, 'captureToolResults', false, warn), warn),
    capturePromptArguments: envBool(
      env,
      ENV_CAPTURE_PROMPT_ARGUMENTS,
      bool(user.capturePromptArguments, 'capturePromptArguments', false, warn),
      warn,
    ),
    captureRequestHeaders: headerList(headers, warn),
    clientAddressMode: addressMode(address, addressFrom, warn),
    resourceUriInSpanName: bool(user.resourceUriInSpanName, 'resourceUriInSpanName', false, warn),
    maxCapturedValueLength: positive(user.maxCapturedValueLength, DEFAULT_MAX_CAPTURED_LENGTH, 'maxCapturedValueLength', warn),
    statusCodeAttribute: oneOf(user.statusCodeAttribute, STATUS_CODE_ATTRIBUTES, 'rpc.response.status_code', 'statusCodeAttribute', warn),
    needsRequestInfo: !!(user.requestHook || user.responseHook || user.ignoreRequestHook),
    trackingSecret: typeof secret === 'string' && secret !== '' ? secret : DEFAULT_TRACKING_SECRET,
    trackingIdFromAddress: bool(user.trackingIdFromAddress, 'trackingIdFromAddress', false, warn),
    trackingIdFromUserAgent: bool(user.trackingIdFromUserAgent, 'trackingIdFromUserAgent', false, warn),
    captureUserIdentity: bool(user.captureUserIdentity, 'captureUserIdentity', false, warn),
    maxTrackedClients: nonNegative(user.maxTrackedClients, DEFAULT_MAX_TRACKED_CLIENTS, 'maxTrackedClients', warn),
    maxMetricAttributeValues: nonNegative(user.maxMetricAttributeValues, DEFAULT_MAX_METRIC_VALUES, 'maxMetricAttributeValues', warn),
    sessionIdleTimeout: nonNegative(idle, DEFAULT_IDLE_TIMEOUT_MS, idleFrom, warn),
    closeIdleSessions: bool(user.closeIdleSessions, 'closeIdleSessions', false, warn),
    sessionEvents: bool(user.sessionEvents, 'sessionEvents', true, warn),
    activityStore: activityStore(user.activityStore, defaultStore, warn),
  };
}
