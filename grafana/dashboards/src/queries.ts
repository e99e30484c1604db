// PromQL and TraceQL building blocks shared by the MCP dashboards.
//
// Series names are the ones Prometheus stores on the OTLP path (Collector → Prometheus, default
// translation), as listed in the README section "What is emitted".
// Every selector filters `job` and `instance`; every label matcher on a variable is a regex match
// (`=~"$var"`) so that "All" selects everything (`.*` for job and instance, which may be absent, `.+` for the
// others; see variables.ts); every rate/increase uses `$__rate_interval`.

/** mcp.server.operation.duration (histogram, seconds). */
export const OPERATION = 'mcp_server_operation_duration_seconds';
/** mcp.server.session.duration (histogram, seconds). */
export const SESSION = 'mcp_server_session_duration_seconds';
/** mcp.server.session.active (UpDownCounter → gauge). */
export const SESSION_ACTIVE = 'mcp_server_session_active';
/** mcp.server.session.started (counter). */
export const SESSION_STARTED = 'mcp_server_session_started_total';
/** mcp.server.client.operations (counter, per tracking ID, capped). */
export const CLIENT_OPERATIONS = 'mcp_server_client_operations_total';
/** Tempo metrics-generator span metrics (histogram, seconds) and call counter. */
export const SPAN_LATENCY = 'traces_spanmetrics_latency';
export const SPAN_CALLS = 'traces_spanmetrics_calls_total';

/** error.type values of requests that never got a response because the peer went away or cancelled. */
export const CUT_OFF_ERROR_TYPES = 'connection_closed|send_failed|cancelled';

export type Matchers = Record<string, string>;

/** `=~"$var"`: the only way a variable is matched. */
export const re = (variable: string): string => `=~"$${variable}"`;
/** `="value"`: a constant. */
export const eq = (value: string): string => `="${value}"`;
/** `=~"value"` with a constant regex. */
export const match = (value: string): string => `=~"${value}"`;
/** `!="value"`. */
export const ne = (value: string): string => `!="${value}"`;

/** Operations that failed (the conventions set error.type only on failures). */
export const FAILED: Matchers = { error_type: ne('') };

/** A vector selector on `metric` filtered by `job`, `instance` and the given matchers. */
export function sel(metric: string, matchers: Matchers = {}): string {
  const all: Matchers = { job: re('job'), instance: re('instance'), ...matchers };
  return `${metric}{${Object.entries(all)
    .map(([label, m]) => `${label}${m}`)
    .join(', ')}}`;
}

/** `rate(<selector>[$__rate_interval])`. */
export const rate = (selector: string): string => `rate(${selector}[$__rate_interval])`;
/** `increase(<selector>[$__rate_interval])`. */
export const increase = (selector: string): string => `increase(${selector}[$__rate_interval])`;

/** `sum by (labels) (expr)`, or `sum(expr)` without labels. */
export function sumBy(labels: string[], expr: string): string {
  return labels.length ? `sum by (${labels.join(', ')}) (${expr})` : `sum(${expr})`;
}

/** p-quantile of a histogram: `histogram_quantile(q, sum by (le, …) (rate(<m>_bucket{…}[$__rate_interval])))`. */
export function quantile(q: number, histogram: string, matchers: Matchers, by: string[] = []): string {
  return `histogram_quantile(${q}, ${sumBy(['le', ...by], rate(sel(`${histogram}_bucket`, matchers)))})`;
}

/**
 * The same quantile over the whole dashboard range, for instant queries (tables, bar gauges):
 * the per-bucket rates are averaged over `$__range` with a subquery, so `$__rate_interval` is still
 * the rate window.
 */
export function quantileOverRange(q: number, histogram: string, matchers: Matchers, by: string[] = []): string {
  return `histogram_quantile(${q}, ${sumBy(['le', ...by], overRange(rate(sel(`${histogram}_bucket`, matchers))))})`;
}

/** `avg_over_time((expr)[$__range:$__interval])`: the mean of an instant expression over the dashboard range. */
export const overRange = (expr: string): string => `avg_over_time((${expr})[$__range:$__interval])`;

/** Top `k` of an expression averaged over the dashboard range, sorted (instant queries). */
export const topOverRange = (k: number, expr: string): string => `sort_desc(topk(${k}, ${overRange(expr)}))`;

/**
 * Ratio of failed to all operations that is 0 (not "no data") when nothing failed:
 * `(sum by (…) (rate(failed)) or sum by (…) (rate(all)) * 0) / sum by (…) (rate(all))`.
 */
export function errorRatio(metric: string, matchers: Matchers, by: string[] = [], failed: Matchers = FAILED): string {
  const all = sumBy(by, rate(sel(metric, matchers)));
  const bad = sumBy(by, rate(sel(metric, { ...matchers, ...failed })));
  return `(${bad} or ${all} * 0) / ${all}`;
}

/** Tempo span metrics (metrics-generator) of SERVER spans: the MCP spans (and HTTP server spans, which lack mcp_method_name). */
export const MCP_SERVER_SPANS: Matchers = { span_kind: eq('SPAN_KIND_SERVER') };

// TraceQL ---------------------------------------------------------------------------------------

/** `{ cond } | select(fields)`. */
export function traceql(condition: string, select: string[] = []): string {
  const pipe = select.length ? ` | select(${select.join(', ')})` : '';
  return `{ ${condition} }${pipe}`;
}
