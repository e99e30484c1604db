/*
 * Checks for the generated Grafana dashboards: the rules of grafana/dashboard-linter
 * (template-datasource/job/instance, panel-datasource, panel-title-description, panel-units,
 * target-promql, target-rate-interval, target-job, target-instance) re-implemented over the JSON,
 * plus syntax checks with the parsers behind the Prometheus and Grafana query editors
 * (@prometheus-io/lezer-promql, @grafana/lezer-traceql) and a check of metric and label names
 * against what mcp-otel emits. Every function returns a list of problems (empty = fine), so that
 * tests can also prove that a broken dashboard or query is caught.
 */
import type { SyntaxNode, Tree } from '@lezer/common';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { parser as traceqlParser } from '@grafana/lezer-traceql';
import { allPanels, labelVariableNames, substituteVariables } from './dashboard-queries';
import type { Dashboard, Panel, Target } from './dashboard-queries';

// Names -----------------------------------------------------------------------------------------

const COMMON = ['job', 'instance'];
/** "All" of job and instance: `.*`, which also matches series without the label. */
export const OPTIONAL_LABEL_ALL = '.*';
const OPERATION_LABELS = [
  ...COMMON,
  'mcp_method_name',
  'gen_ai_tool_name',
  'gen_ai_prompt_name',
  'gen_ai_operation_name',
  'error_type',
  'rpc_response_status_code',
  'mcp_protocol_version',
  'network_transport',
  'network_protocol_name',
  'network_protocol_version',
  'mcp_client_type',
];
const SESSION_LABELS = [
  ...COMMON,
  'mcp_session_disconnect_reason',
  'mcp_client_type',
  'error_type',
  'mcp_protocol_version',
  'network_transport',
  'network_protocol_name',
];
const ACTIVE_LABELS = [...COMMON, 'mcp_client_type', 'network_transport', 'network_protocol_name'];
const SPAN_METRIC_LABELS = [
  ...COMMON,
  'service',
  'span_name',
  'span_kind',
  'status_code',
  'mcp_method_name',
  'gen_ai_tool_name',
  'mcp_client_type',
  'mcp_client_tracking_id',
  'error_type',
];

/** Series and their labels as Prometheus stores them (OTLP path, default translation; Tempo span metrics). */
export const METRIC_LABELS: Readonly<Record<string, readonly string[]>> = {
  mcp_server_operation_duration_seconds_bucket: [...OPERATION_LABELS, 'le'],
  mcp_server_operation_duration_seconds_sum: OPERATION_LABELS,
  mcp_server_operation_duration_seconds_count: OPERATION_LABELS,
  mcp_server_session_duration_seconds_bucket: [...SESSION_LABELS, 'le'],
  mcp_server_session_duration_seconds_sum: SESSION_LABELS,
  mcp_server_session_duration_seconds_count: SESSION_LABELS,
  mcp_server_session_active: ACTIVE_LABELS,
  mcp_server_session_started_total: [...ACTIVE_LABELS, 'mcp_client_returning'],
  mcp_server_client_operations_total: [...COMMON, 'mcp_client_tracking_id', 'mcp_client_type', 'mcp_method_name', 'error_type'],
  traces_spanmetrics_latency_bucket: [...SPAN_METRIC_LABELS, 'le'],
  traces_spanmetrics_latency_sum: SPAN_METRIC_LABELS,
  traces_spanmetrics_latency_count: SPAN_METRIC_LABELS,
  traces_spanmetrics_calls_total: SPAN_METRIC_LABELS,
};

/** Span attributes the TraceQL queries may use (README "What is emitted"). */
export const SPAN_ATTRIBUTES: readonly string[] = [
  'mcp.method.name',
  'gen_ai.tool.name',
  'gen_ai.prompt.name',
  'gen_ai.operation.name',
  'error.type',
  'rpc.response.status_code',
  'mcp.session.id',
  'mcp.protocol.version',
  'mcp.client.type',
  'mcp.client.tracking_id',
  'mcp.client.name',
  'mcp.client.version',
  'jsonrpc.request.id',
  'network.transport',
];

/** Units the panels may use (Grafana unit ids). */
export const UNITS: readonly string[] = ['reqps', 'ops', 'cps', 's', 'ms', 'percentunit', 'short', 'none'];

// Syntax ----------------------------------------------------------------------------------------

function errorNodes(tree: Tree, source: string): string[] {
  const problems: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) {
        const around = source.slice(Math.max(0, node.from - 10), node.to + 10);
        problems.push(`syntax error at ${node.from}${node.to > node.from ? `-${node.to}` : ''} near "${around}"`);
      }
    },
  });
  return problems;
}

/** PromQL syntax errors found by the Prometheus editor's parser (empty when the expression parses). */
export function promqlSyntaxErrors(expr: string): string[] {
  if (expr.trim() === '') return ['empty expression'];
  return errorNodes(promqlParser.parse(expr), expr);
}

/** TraceQL syntax errors found by Grafana's Tempo editor parser (empty when the query parses). */
export function traceqlSyntaxErrors(query: string): string[] {
  if (query.trim() === '') return ['empty query'];
  return errorNodes(traceqlParser.parse(query), query);
}

// PromQL structure ------------------------------------------------------------------------------

/**
 * Macros become these unusual durations before parsing, so the parse tree still shows which
 * window a rate() uses; label variables stay as they are ("$job" is a plain string to the parser).
 */
const SENTINELS: Record<string, string> = { __rate_interval: '7777s', __range: '8888s', __interval: '9999s' };

function nodes(tree: Tree, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  tree.iterate({
    enter(node) {
      if (node.name === name) out.push(node.node);
    },
  });
  return out;
}

function descendants(node: SyntaxNode, name: string): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) {
    if (child.name === name) out.push(child);
    out.push(...descendants(child, name));
  }
  return out;
}

const text = (src: string, n: SyntaxNode | null): string => (n ? src.slice(n.from, n.to) : '');
const unquote = (s: string): string => s.replace(/^(["'`])([\s\S]*)\1$/, '$2');

interface Matcher {
  label: string;
  op: string;
  value: string;
}

function matchersOf(src: string, selector: SyntaxNode): Matcher[] {
  const out: Matcher[] = [];
  for (const m of descendants(selector, 'UnquotedLabelMatcher')) {
    out.push({
      label: text(src, m.getChild('LabelName')),
      op: text(src, m.getChild('MatchOp')),
      value: unquote(text(src, m.getChild('StringLiteral'))),
    });
  }
  return out;
}

/** Metric names of the vector selectors below a node. */
function metricsBelow(src: string, node: SyntaxNode): string[] {
  return descendants(node, 'VectorSelector').map((s) => text(src, s.getChild('Identifier')));
}

/**
 * Lint rules for one PromQL target as committed (with Grafana variables):
 * it parses; every rate/increase/irate window is `$__rate_interval`; every vector selector names a
 * known metric and matches `job=~"$job"` and `instance=~"$instance"`; a matcher on a variable uses
 * `=~`; label names in matchers, `by`/`without` and the legend exist on the metrics involved;
 * no UTF-8 quoted names (Prometheus 2.x cannot parse them).
 */
export function lintPromQL(raw: string, labelVariables: readonly string[], legendFormat?: string): string[] {
  const problems: string[] = [];
  const values: Record<string, string> = { ...SENTINELS };
  for (const name of labelVariables) values[name] = `$${name}`;
  let expr: string;
  try {
    expr = substituteVariables(raw, values);
  } catch (err) {
    return [(err as Error).message];
  }
  const tree = promqlParser.parse(expr);
  const syntax = errorNodes(tree, expr);
  if (syntax.length) return syntax;

  for (const name of ['QuotedLabelMatcher', 'QuotedLabelName']) {
    if (nodes(tree, name).length) problems.push(`UTF-8 quoted label/metric names are not allowed: ${raw}`);
  }

  // target-rate-interval-rule
  for (const call of nodes(tree, 'FunctionCall')) {
    const fn = text(expr, call.getChild('FunctionIdentifier'));
    if (!['rate', 'increase', 'irate'].includes(fn)) continue;
    const body = call.getChild('FunctionCallBody');
    const matrix = body?.getChild('MatrixSelector');
    const window = matrix ? text(expr, matrix.lastChild) : '';
    if (window !== SENTINELS.__rate_interval) {
      problems.push(`${fn}() must use [$__rate_interval], got [${window.replace(/^\d+s$/, (d) => macroOf(d))}]: ${raw}`);
    }
  }

  const allLabels = new Set<string>();
  for (const selector of nodes(tree, 'VectorSelector')) {
    const metric = text(expr, selector.getChild('Identifier'));
    const known = METRIC_LABELS[metric];
    if (!metric) {
      problems.push(`selector without a metric name: ${text(expr, selector)}`);
      continue;
    }
    if (!known) {
      problems.push(`unknown metric ${metric}`);
      continue;
    }
    known.forEach((l) => allLabels.add(l));
    const matchers = matchersOf(expr, selector);
    // target-job-rule, target-instance-rule
    for (const required of ['job', 'instance']) {
      if (!matchers.some((m) => m.label === required && m.op === '=~' && m.value === `$${required}`)) {
        problems.push(`${metric} selector must filter ${required}=~"$${required}": ${text(expr, selector)}`);
      }
    }
    for (const m of matchers) {
      if (!known.includes(m.label)) problems.push(`${metric} has no label ${m.label}`);
      if (m.value.includes('$') && m.op !== '=~') {
        problems.push(`variable matcher ${m.label}${m.op}"${m.value}" must use =~`);
      }
      if (m.value.includes('$') && !/^\$\w+$/.test(m.value)) {
        problems.push(`variable matcher ${m.label}${m.op}"${m.value}" must be exactly "$var"`);
      }
    }
  }

  // by (...) / without (...) labels exist on the metrics aggregated.
  for (const modifier of nodes(tree, 'AggregateModifier')) {
    const aggregate = modifier.parent;
    if (!aggregate) continue;
    const inside = new Set(metricsBelow(expr, aggregate).flatMap((m) => METRIC_LABELS[m] ?? []));
    for (const label of descendants(modifier, 'LabelName')) {
      const name = text(expr, label);
      if (!inside.has(name)) problems.push(`grouping label ${name} is on none of the metrics aggregated: ${raw}`);
    }
  }

  for (const [, label] of (legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)) {
    if (!allLabels.has(label as string)) problems.push(`legend uses {{${label}}}, a label of none of the metrics: ${raw}`);
  }
  return problems;
}

function macroOf(duration: string): string {
  const entry = Object.entries(SENTINELS).find(([, v]) => v === duration);
  return entry ? `$${entry[0]}` : duration;
}

/** TraceQL lint: it parses and only uses known MCP span attributes. */
export function lintTraceQL(raw: string, labelVariables: readonly string[]): string[] {
  const values: Record<string, string> = {};
  for (const name of labelVariables) values[name] = '.+';
  let query: string;
  try {
    query = substituteVariables(raw, values);
  } catch (err) {
    return [(err as Error).message];
  }
  const problems = traceqlSyntaxErrors(query);
  if (problems.length) return problems;
  const tree = traceqlParser.parse(query);
  for (const field of nodes(tree, 'AttributeField')) {
    const scope = field.firstChild ? text(query, field.firstChild) : '';
    const name = text(query, field.getChild('Identifier'));
    if (scope === 'span' && !SPAN_ATTRIBUTES.includes(name)) problems.push(`unknown span attribute span.${name}`);
  }
  return problems;
}

// Dashboards ------------------------------------------------------------------------------------

const isVariableRef = (uid: unknown): boolean => typeof uid === 'string' && /^\$\{?\w+\}?$/.test(uid);

/** Every `datasource` / `datasourceUid` anywhere in the JSON, with its path. */
function datasourceRefs(value: unknown, path = '$'): Array<{ path: string; ref: unknown }> {
  const out: Array<{ path: string; ref: unknown }> = [];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...datasourceRefs(v, `${path}[${i}]`)));
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'datasource' || key === 'datasourceUid') out.push({ path: `${path}.${key}`, ref: v });
      out.push(...datasourceRefs(v, `${path}.${key}`));
    }
  }
  return out;
}

const EXEMPT_PANELS = ['row', 'text'];

/** All dashboard-level lint rules; PromQL/TraceQL targets are checked with lintPromQL/lintTraceQL. */
export function lintDashboard(dashboard: Dashboard): string[] {
  const problems: string[] = [];
  const where = (p: Panel): string => `${dashboard.uid} panel ${p.id} "${p.title ?? ''}"`;

  if (!dashboard.uid) problems.push('dashboard without uid');
  if (!dashboard.title) problems.push(`${dashboard.uid}: no title`);
  if (!dashboard.description) problems.push(`${dashboard.uid}: no description`);
  if (!dashboard.tags?.includes('mcp')) problems.push(`${dashboard.uid}: missing tag mcp`);
  if (!dashboard.refresh) problems.push(`${dashboard.uid}: no refresh`);
  const link = (dashboard.links ?? []).find((l) => l.type === 'dashboards');
  if (!link || !(link.tags as string[] | undefined)?.includes('mcp') || link.keepTime !== true || link.includeVars !== true) {
    problems.push(`${dashboard.uid}: needs a dashboards link by tag mcp with keepTime and includeVars`);
  }

  // template-datasource-rule, template-job-rule, template-instance-rule
  const vars = dashboard.templating?.list ?? [];
  const byName = new Map(vars.map((v) => [v.name, v]));
  const ds = byName.get('datasource');
  if (!ds || ds.type !== 'datasource' || ds.query !== 'prometheus') problems.push(`${dashboard.uid}: needs variable datasource (type datasource, prometheus)`);
  const traces = byName.get('traces');
  if (!traces || traces.type !== 'datasource' || traces.query !== 'tempo') problems.push(`${dashboard.uid}: needs variable traces (type datasource, tempo)`);
  // job and instance come from resource attributes that may be missing (no service.instance.id: no instance label
  // on the OTLP path): their All must also match the absent label (`.*`), unlike dashboard-linter's `.+`.
  for (const name of ['job', 'instance']) {
    const v = byName.get(name);
    if (!v || v.type !== 'query') problems.push(`${dashboard.uid}: needs query variable ${name}`);
    else if (!v.multi || !v.includeAll || v.allValue !== OPTIONAL_LABEL_ALL) problems.push(`${dashboard.uid}: variable ${name} must be multi with All = ${OPTIONAL_LABEL_ALL}`);
  }
  for (const v of vars) {
    if (v.type !== 'query') continue;
    if (v.datasource?.uid !== '${datasource}') problems.push(`${dashboard.uid}: variable ${v.name} must query \${datasource}`);
    if (v.includeAll && !COMMON.includes(v.name) && v.allValue !== '.+') problems.push(`${dashboard.uid}: variable ${v.name} must have All = .+`);
    const query = typeof v.query === 'string' ? v.query : '';
    if (!/^label_values\(.+,\s*\w+\)$/.test(query)) problems.push(`${dashboard.uid}: variable ${v.name} is not label_values(selector, label)`);
  }

  // No hard-coded datasources anywhere: only ${datasource} / ${traces}.
  for (const { path, ref } of datasourceRefs(dashboard)) {
    if (path.startsWith('$.templating') && path.endsWith('.datasource') && (ref as { uid?: string })?.uid === '${datasource}') continue;
    const uid = typeof ref === 'string' ? ref : (ref as { uid?: unknown } | null)?.uid;
    if (!isVariableRef(uid)) problems.push(`${dashboard.uid}: hard-coded datasource ${JSON.stringify(ref)} at ${path}`);
  }

  const ids = new Set<number>();
  for (const panel of allPanels(dashboard)) {
    if (panel.id === undefined || ids.has(panel.id)) problems.push(`${where(panel)}: missing or duplicate panel id`);
    else ids.add(panel.id);
    if (EXEMPT_PANELS.includes(panel.type)) continue;
    // panel-title-description-rule, panel-units-rule
    if (!panel.title) problems.push(`${where(panel)}: no title`);
    if (!panel.description || panel.description.includes('\n')) problems.push(`${where(panel)}: needs a one-line description`);
    const unit = panel.fieldConfig?.defaults?.unit;
    if (!unit) problems.push(`${where(panel)}: no unit (fieldConfig.defaults.unit)`);
    else if (!UNITS.includes(unit)) problems.push(`${where(panel)}: unexpected unit ${unit}`);
    // panel-datasource-rule
    const panelDs = panel.datasource?.uid;
    if (panelDs !== '${datasource}' && panelDs !== '${traces}') problems.push(`${where(panel)}: datasource must be \${datasource} or \${traces}`);
    if (!panel.targets?.length) problems.push(`${where(panel)}: no targets`);
    for (const target of panel.targets ?? []) problems.push(...lintTarget(dashboard, panel, target).map((p) => `${where(panel)} ${target.refId}: ${p}`));
  }
  return problems;
}

function lintTarget(dashboard: Dashboard, panel: Panel, target: Target): string[] {
  const type = target.datasource?.type ?? panel.datasource?.type;
  const uid = target.datasource?.uid ?? panel.datasource?.uid;
  const labels = labelVariableNames(dashboard);
  if (type === 'prometheus') {
    if (uid !== '${datasource}') return [`Prometheus target must use \${datasource}, not ${uid}`];
    if (typeof target.expr !== 'string') return ['Prometheus target without expr'];
    return lintPromQL(target.expr, labels, target.legendFormat);
  }
  if (type === 'tempo') {
    if (uid !== '${traces}') return [`Tempo target must use \${traces}, not ${uid}`];
    if (target.queryType !== 'traceql' || typeof target.query !== 'string') return ['Tempo target must be a TraceQL query'];
    return lintTraceQL(target.query, labels);
  }
  return [`unexpected datasource type ${type}`];
}

// Datasource references -------------------------------------------------------------------------

/** Datasource uids the repository's stack provisions (grafana/grafana/provisioning/datasources), by plugin type. */
export const DOCUMENTED_DATASOURCE_UIDS: Readonly<Record<string, string>> = { prometheus: 'prometheus', tempo: 'tempo' };

/**
 * Every way a dashboard names a datasource, checked for portability (what must hold for a dashboard shipped to
 * other Grafanas, imported in the UI or provisioned from a file):
 *   - `datasource` / `datasourceUid` anywhere (panels, targets, template variables, annotations, …): a reference to
 *     a datasource variable of the dashboard with the same plugin type (`${datasource}`, `$traces`), an `__inputs`
 *     entry of type datasource with the same pluginId (`${DS_…}`), or a documented uid of that type;
 *   - every non-row panel and each of its targets has a datasource (else Grafana uses the org default, of any type);
 *   - datasource variables start on Grafana's `default` (or nothing, or an input), never on a uid;
 *   - `__inputs` of type datasource name prometheus or tempo and are used (the import form requires each one);
 *   - URLs (data links, dashboard links) pass `var-datasource` / `var-traces` through the variables.
 */
export function datasourceReferenceProblems(dashboard: Dashboard, documented: Readonly<Record<string, string>> = DOCUMENTED_DATASOURCE_UIDS): string[] {
  const problems: string[] = [];
  const vars = dashboard.templating?.list ?? [];
  const dsVars = new Map(vars.filter((v) => v.type === 'datasource').map((v) => [v.name, String(v.query ?? '')]));
  const inputs = ((dashboard.__inputs as Array<Record<string, unknown>> | undefined) ?? []).filter((i) => i.type === 'datasource');
  const inputTypes = new Map(inputs.map((i) => [String(i.name), String(i.pluginId ?? '')]));
  const used = new Set<string>();
  const text = JSON.stringify(dashboard);
  for (const name of inputTypes.keys()) if (text.includes(`\${${name}}`)) used.add(name);

  const typeOfRef = (uid: string): { kind: 'variable' | 'input' | 'uid'; type?: string } => {
    const m = /^\$\{?(\w+)(?::\w+)?\}?$/.exec(uid);
    if (m) {
      const name = m[1] as string;
      if (dsVars.has(name)) return { kind: 'variable', type: dsVars.get(name) };
      if (inputTypes.has(name)) return { kind: 'input', type: inputTypes.get(name) };
      return { kind: 'variable' };
    }
    const type = Object.keys(documented).find((t) => documented[t] === uid);
    return { kind: 'uid', type };
  };

  for (const { path, ref } of datasourceRefs(dashboard)) {
    if (ref === null || ref === undefined) {
      problems.push(`${dashboard.uid}: empty datasource at ${path}`);
      continue;
    }
    const uid = typeof ref === 'string' ? ref : (ref as { uid?: unknown }).uid;
    const declared = typeof ref === 'string' ? undefined : (ref as { type?: unknown }).type;
    if (typeof uid !== 'string' || uid === '') {
      problems.push(`${dashboard.uid}: datasource without uid ${JSON.stringify(ref)} at ${path}`);
      continue;
    }
    const resolved = typeOfRef(uid);
    if (resolved.type === undefined) {
      problems.push(`${dashboard.uid}: datasource ${JSON.stringify(ref)} at ${path} is neither a datasource variable, an input nor a documented uid`);
    } else if (declared !== undefined && declared !== resolved.type) {
      problems.push(`${dashboard.uid}: datasource ${JSON.stringify(ref)} at ${path} is of type ${resolved.type}`);
    }
  }

  for (const panel of allPanels(dashboard)) {
    if (EXEMPT_PANELS.includes(panel.type)) continue;
    if (!panel.datasource) problems.push(`${dashboard.uid} panel ${panel.id}: no datasource`);
    for (const target of panel.targets ?? []) if (!target.datasource) problems.push(`${dashboard.uid} panel ${panel.id} ${target.refId}: target without datasource`);
  }

  for (const v of vars) {
    if (v.type !== 'datasource') continue;
    if (!Object.keys(documented).includes(String(v.query))) problems.push(`${dashboard.uid}: datasource variable ${v.name} of unexpected type ${String(v.query)}`);
    const current = (v.current as { value?: unknown } | undefined)?.value;
    if (current !== undefined && current !== 'default' && !(typeof current === 'string' && inputTypes.has(current.replace(/^\$\{(\w+)\}$/, '$1')))) {
      problems.push(`${dashboard.uid}: datasource variable ${v.name} starts on ${JSON.stringify(current)}, not on Grafana's default`);
    }
  }

  for (const [name, type] of inputTypes) {
    if (!Object.keys(documented).includes(type)) problems.push(`${dashboard.uid}: input ${name} of unexpected plugin ${type}`);
    if (!used.has(name)) problems.push(`${dashboard.uid}: input ${name} is never used (the import form would still require it)`);
  }

  for (const m of text.matchAll(/var-(datasource|traces)=([^&"\\]*)/g)) {
    if (!(m[2] as string).startsWith('$')) problems.push(`${dashboard.uid}: link passes a fixed ${m[0]}`);
  }
  return problems;
}
