import type { Attributes } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config';
import {
  ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX,
  ATTR_GEN_AI_TOOL_CALL_ARGUMENTS,
  ATTR_GEN_AI_TOOL_CALL_RESULT,
} from '../semconv';
import { METHOD_TOOLS_CALL } from './methods';

/*
 * Opt-in content capture. Nothing here runs unless a capture option is on;
 * values are deep-copied (never mutated), masked by key, passed to the user's
 * redact hook, serialised and length-capped.
 */

const SENSITIVE_KEY = /pass(word|wd)?|secret|token|api[-_]?key|authori[sz]ation|cookie|credential|private[-_]?key/i;
const REDACTED = '[REDACTED]';
const MAX_DEPTH = 8;

function maskCopy(value: unknown, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.map((item) => maskCopy(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    out[key] = SENSITIVE_KEY.test(key) ? REDACTED : maskCopy((value as Record<string, unknown>)[key], depth + 1);
  }
  return out;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Masks, redacts and serialises one value; `undefined` means record nothing. */
function captureValue(config: ResolvedConfig, value: unknown, attribute: string, method: string): string | undefined {
  let copy = maskCopy(value, 0);
  const redact = config.user.redact;
  if (redact) copy = redact(copy, { attribute, method });
  if (copy === undefined) return undefined;
  const text = typeof copy === 'string' ? copy : JSON.stringify(copy);
  return text === undefined ? undefined : truncate(text, config.maxCapturedValueLength);
}

/** Request-side content attributes for a request, under the capture options. */
export function captureRequestContent(config: ResolvedConfig, method: string, params: Record<string, unknown> | undefined, into: Attributes): void {
  if (!params) return;
  if (method === METHOD_TOOLS_CALL && config.captureToolArguments && params.arguments !== undefined) {
    const text = captureValue(config, params.arguments, ATTR_GEN_AI_TOOL_CALL_ARGUMENTS, method);
    if (text !== undefined) into[ATTR_GEN_AI_TOOL_CALL_ARGUMENTS] = text;
  } else if (method === 'prompts/get' && config.capturePromptArguments) {
    const args = params.arguments;
    if (args === null || typeof args !== 'object') return;
    for (const name of Object.keys(args)) {
      const attribute = ATTR_GEN_AI_PROMPT_VARIABLE_PREFIX + name;
      const raw = SENSITIVE_KEY.test(name) ? REDACTED : (args as Record<string, unknown>)[name];
      const text = captureValue(config, raw, attribute, method);
      if (text !== undefined) into[attribute] = text;
    }
  }
}

/** The `gen_ai.tool.call.result` attribute value, when result capture is on. */
export function captureToolResult(config: ResolvedConfig, result: unknown): string | undefined {
  return captureValue(config, result, ATTR_GEN_AI_TOOL_CALL_RESULT, METHOD_TOOLS_CALL);
}

/** `http.request.header.<name>` attributes for the configured allow-list. */
export function captureHeaders(
  config: ResolvedConfig,
  method: string,
  headers: Record<string, string | string[] | undefined>,
  into: Attributes,
): void {
  for (const name of config.captureRequestHeaders) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const attribute = `http.request.header.${name}`;
    const values = Array.isArray(raw) ? raw : [raw];
    const recorded: string[] = [];
    for (const value of values) {
      const text = captureValue(config, value, attribute, method);
      if (text !== undefined) recorded.push(text);
    }
    if (recorded.length > 0) into[attribute] = recorded;
  }
}
