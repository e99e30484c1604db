import type { Attributes } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config';

/*
 * `register()` also starts @opentelemetry/instrumentation-http, which records on every incoming request the
 * client's address and port and its User-Agent header. mcp-otel records neither unless asked
 * (`captureClientAddress`, `captureRequestHeaders`), so the HTTP server spans it starts follow the same
 * settings: the HTTP instrumentation's start-span hook overrides those attributes with `undefined`, which the
 * SDK drops. Only the raw address is kept, and only with `captureClientAddress: true`; the anonymised forms
 * appear on the MCP spans.
 */

const ADDRESS_ATTRIBUTES = ['client.address', 'network.peer.address', 'network.peer.port'];
const USER_AGENT_ATTRIBUTES = ['user_agent.original'];

/** The attributes to blank on HTTP server spans, or undefined when the configuration keeps them all. */
export function httpServerSpanOverrides(config: ResolvedConfig): Attributes | undefined {
  const blank: Attributes = {};
  if (config.clientAddressMode !== 'full') for (const key of ADDRESS_ATTRIBUTES) blank[key] = undefined;
  if (!config.captureRequestHeaders.includes('user-agent')) for (const key of USER_AGENT_ATTRIBUTES) blank[key] = undefined;
  return Object.keys(blank).length > 0 ? Object.freeze(blank) : undefined;
}
