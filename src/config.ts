import type { McpInstrumentationConfig, McpStatusCodeAttribute } from './types';

/** Headers that are never recorded, whatever the configuration says. */
const FORBIDDEN_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

export const ENV_CAPTURE_TOOL_ARGUMENTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_ARGUMENTS';
export const ENV_CAPTURE_TOOL_RESULTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_RESULTS';
export const ENV_CAPTURE_PROMPT_ARGUMENTS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_PROMPT_ARGUMENTS';
export const ENV_CAPTURE_REQUEST_HEADERS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_REQUEST_HEADERS';
export const ENV_CAPTURE_CLIENT_ADDRESS = 'OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS';

/** The configuration with defaults and environment overrides applied; read on the hot path. */
export interface ResolvedConfig {
  readonly user: McpInstrumentationConfig;
  readonly ignoreMethods: ReadonlySet<string>;
  readonly captureToolArguments: boolean;
  readonly captureToolResults: boolean;
  readonly capturePromptArguments: boolean;
  readonly captureRequestHeaders: readonly string[];
  readonly captureClientAddress: boolean;
  readonly resourceUriInSpanName: boolean;
  readonly maxCapturedValueLength: number;
  readonly statusCodeAttribute: McpStatusCodeAttribute;
  /** True when any hook needs an info object (so it is built only then). */
  readonly needsRequestInfo: boolean;
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
export function resolveConfig(user: McpInstrumentationConfig, env: Env, warn: Warn): ResolvedConfig {
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
    captureClientAddress: envBool(env, ENV_CAPTURE_CLIENT_ADDRESS, user.captureClientAddress ?? false, warn),
    resourceUriInSpanName: user.resourceUriInSpanName ?? false,
    maxCapturedValueLength: typeof maxLen === 'number' && maxLen > 0 ? Math.floor(maxLen) : 4096,
    statusCodeAttribute: ['rpc.response.status_code', 'rpc.status_code', 'both'].includes(statusCodeAttribute)
      ? statusCodeAttribute
      : 'rpc.response.status_code',
    needsRequestInfo: !!(user.requestHook || user.responseHook || user.ignoreRequestHook),
  };
}
