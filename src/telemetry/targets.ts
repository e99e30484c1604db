import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROMPT_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_RESOURCE_URI,
  GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL,
  VALUE_OTHER,
} from '../semconv';
import { isKnownMethod, methodTarget } from './methods';
import { ValueLimiter } from './value-limiter';

/*
 * What a message is about (method, tool, prompt, resource) as span name and
 * attributes. Every such value comes from the client, so it is length-capped
 * on spans, and on metrics only the first `maxMetricAttributeValues` distinct
 * values of each kind get their own series; the rest are recorded as `_OTHER`.
 */

export const MAX_NAME_LENGTH = 256;
const MAX_URI_LENGTH = 2048;

export function capLength(value: string, max: number): string {
  return value.length > max ? value.slice(0, max) : value;
}

export class Targets {
  private readonly methods: ValueLimiter;
  private readonly tools: ValueLimiter;
  private readonly prompts: ValueLimiter;

  constructor(maxValues: () => number) {
    this.methods = new ValueLimiter(maxValues, VALUE_OTHER);
    this.tools = new ValueLimiter(maxValues, VALUE_OTHER);
    this.prompts = new ValueLimiter(maxValues, VALUE_OTHER);
  }

  /** Sets `mcp.method.name` on both attribute sets; returns the (capped) method for the span name. */
  method(method: string, spanAttrs: Attributes, metricAttrs: Attributes): string {
    const capped = capLength(method, MAX_NAME_LENGTH);
    spanAttrs[ATTR_MCP_METHOD_NAME] = capped;
    metricAttrs[ATTR_MCP_METHOD_NAME] = isKnownMethod(method) ? method : this.methods.admit(capped);
    return capped;
  }

  /** Adds the target attributes of a request and returns its span name (`{method} {target}`). */
  describe(method: string, params: Record<string, unknown> | undefined, spanAttrs: Attributes, metricAttrs: Attributes, uriInName: boolean): string {
    const spanMethod = this.method(method, spanAttrs, metricAttrs);
    const name = typeof params?.name === 'string' ? capLength(params.name, MAX_NAME_LENGTH) : undefined;
    switch (methodTarget(method)) {
      case 'tool':
        spanAttrs[ATTR_GEN_AI_OPERATION_NAME] = metricAttrs[ATTR_GEN_AI_OPERATION_NAME] = GEN_AI_OPERATION_NAME_VALUE_EXECUTE_TOOL;
        if (name === undefined) return spanMethod;
        spanAttrs[ATTR_GEN_AI_TOOL_NAME] = name;
        metricAttrs[ATTR_GEN_AI_TOOL_NAME] = this.tools.admit(name);
        return `${spanMethod} ${name}`;
      case 'prompt':
        if (name === undefined) return spanMethod;
        spanAttrs[ATTR_GEN_AI_PROMPT_NAME] = name;
        metricAttrs[ATTR_GEN_AI_PROMPT_NAME] = this.prompts.admit(name);
        return `${spanMethod} ${name}`;
      case 'resource': {
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
