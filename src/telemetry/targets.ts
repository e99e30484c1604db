import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_RESOURCE_URI,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
} from '../semconv';

/*
 * What a message is about (method, tool, prompt, resource) as span name and
 * attributes. Every such value comes from the client, so it is length-capped
 * on spans, and on metrics only the first `maxMetricAttributeValues` distinct
 * values of each kind get their own series; the rest are recorded as `_OTHER`.
 */

export const MAX_NAME_LENGTH = 256;
export const MAX_URI_LENGTH = 2048;
export const OTHER_VALUE = '_OTHER';

/** The methods of the MCP specification: always their own series. */
const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'completion/complete', 'elicitation/create', 'initialize', 'logging/setLevel', 'notifications/cancelled',
  'notifications/initialized', 'notifications/message', 'notifications/progress', 'notifications/prompts/list_changed',
  'notifications/resources/list_changed', 'notifications/resources/updated', 'notifications/roots/list_changed',
  'notifications/tools/list_changed', 'ping', 'prompts/get', 'prompts/list', 'resources/list', 'resources/read',
  'resources/subscribe', 'resources/templates/list', 'resources/unsubscribe', 'roots/list', 'sampling/createMessage',
  'tools/call', 'tools/list', 'tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel', 'notifications/tasks/status',
]);

export function capLength(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

/** Admits the first `max` distinct values; later ones become `_OTHER`. */
class ValueLimiter {
  private readonly admitted = new Set<string>();
  constructor(private readonly max: () => number) {}
  admit(value: string): string {
    if (this.admitted.has(value)) return value;
    if (this.admitted.size >= this.max()) return OTHER_VALUE;
    this.admitted.add(value);
    return value;
  }
}

export class Targets {
  private readonly methods: ValueLimiter;
  private readonly tools: ValueLimiter;
  private readonly prompts: ValueLimiter;

  constructor(maxValues: () => number) {
    this.methods = new ValueLimiter(maxValues);
    this.tools = new ValueLimiter(maxValues);
    this.prompts = new ValueLimiter(maxValues);
  }

  /** Sets `mcp.method.name` on both attribute sets; returns the (capped) method for the span name. */
  method(method: string, spanAttrs: Attributes, metricAttrs: Attributes): string {
    const capped = capLength(method, MAX_NAME_LENGTH);
    spanAttrs[ATTR_MCP_METHOD_NAME] = capped;
    metricAttrs[ATTR_MCP_METHOD_NAME] = KNOWN_METHODS.has(method) ? method : this.methods.admit(capped);
    return capped;
  }

  /** Adds the target attributes of a request and returns its span name (`{method} {target}`). */
  describe(method: string, params: Record<string, unknown> | undefined, spanAttrs: Attributes, metricAttrs: Attributes, uriInName: boolean): string {
    const spanMethod = this.method(method, spanAttrs, metricAttrs);
    const name = typeof params?.name === 'string' ? capLength(params.name, MAX_NAME_LENGTH) : undefined;
    switch (method) {
      case 'tools/call':
        spanAttrs[ATTR_GEN_AI_OPERATION_NAME] = metricAttrs[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
        if (name === undefined) return spanMethod;
        spanAttrs[ATTR_GEN_AI_TOOL_NAME] = name;
        metricAttrs[ATTR_GEN_AI_TOOL_NAME] = this.tools.admit(name);
        return `${spanMethod} ${name}`;
      case 'prompts/get':
        if (name === undefined) return spanMethod;
        spanAttrs[ATTR_GEN_AI_PROMPT_NAME] = name;
        metricAttrs[ATTR_GEN_AI_PROMPT_NAME] = this.prompts.admit(name);
        return `${spanMethod} ${name}`;
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe':
      case 'notifications/resources/updated': {
        if (typeof params?.uri !== 'string') return spanMethod;
        const uri = capLength(params.uri, MAX_URI_LENGTH);
        spanAttrs[ATTR_MCP_RESOURCE_URI] = uri;
        return uriInName ? `${spanMethod} ${uri}` : spanMethod;
      }
      default:
        return spanMethod;
    }
  }
}
