/*
 * Checks PromQL against a live Prometheus so that wrong names fail loudly:
 *   - syntax: the Lezer grammar of the Prometheus UI (@prometheus-io/lezer-promql) and Prometheus's own parser
 *     (the query API answers an error);
 *   - data: the query returns at least one series;
 *   - names: every metric the query names has series, and every label it names (in matchers, `by`/`without`,
 *     `on`/`ignoring`, `group_left`/`group_right`) exists on at least one of those metrics. This catches what a
 *     result count cannot: a mistyped label in `by (...)` or in a `label!=""` matcher still returns series.
 * For alert rules, `signalExpressions` picks what to evaluate: the thresholds are not the point (an alert need
 * not fire on test data), the series it compares are.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import type { PrometheusServer, QueryResponse } from './prometheus';

/** Series only Tempo's metrics-generator produces: they cannot exist without Tempo. */
export const TEMPO_ONLY_METRIC = /\b(traces_spanmetrics_\w+|traces_service_graph_\w+)/;

export function isTempoOnly(expr: string): boolean {
  return TEMPO_ONLY_METRIC.test(expr);
}

/** Syntax errors the Lezer PromQL grammar finds (positions and context). */
export function syntaxErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter: (node) => {
      if (node.type.isError) errors.push(`syntax error at ${node.from}: …${expr.slice(Math.max(0, node.from - 20), node.from + 20)}…`);
    },
  });
  return errors;
}

export interface ReferencedNames {
  /** Metric names selected by name (`foo{…}` or `{__name__="foo"}`). */
  metrics: string[];
  /** Label names used anywhere (matchers, grouping, vector matching), without `__name__`. */
  labels: string[];
}

export function referencedNames(expr: string): ReferencedNames {
  const metrics = new Set<string>();
  const labels = new Set<string>();
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  parser.parse(expr).iterate({
    enter: (ref) => {
      const node = ref.node;
      switch (node.type.name) {
        case 'VectorSelector': {
          const id = node.getChild('Identifier');
          if (id) metrics.add(text(id));
          break;
        }
        case 'UnquotedLabelMatcher': {
          const name = node.getChild('LabelName');
          const op = node.getChild('MatchOp');
          const value = node.getChild('StringLiteral');
          if (!name) break;
          const label = text(name);
          if (label === '__name__') {
            if (op && text(op) === '=' && value) metrics.add(text(value).slice(1, -1));
          } else labels.add(label);
          break;
        }
        case 'GroupingLabels':
          for (const child of node.getChildren('LabelName')) labels.add(text(child));
          break;
      }
    },
  });
  return { metrics: [...metrics], labels: [...labels] };
}

function exprChildren(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.type.is('Expr')) out.push(c);
  return out;
}

function unwrap(node: SyntaxNode): SyntaxNode {
  let n = node;
  while (n.type.name === 'ParenExpr' || n.type.name === 'PromQL') {
    const inner = exprChildren(n)[0];
    if (!inner) break;
    n = inner;
  }
  return n;
}

const COMPARISONS = new Set(['Eql', 'Neq', 'Gtr', 'Lss', 'Gte', 'Lte']);
const SET_OPERATORS = new Set(['And', 'Or', 'Unless']);

/** True if the expression selects no series at all (a threshold such as `10 / 900` or `0.5`). */
function isLiteral(node: SyntaxNode): boolean {
  let selects = false;
  node.cursor().iterate((n) => {
    if (n.type.name === 'VectorSelector') selects = true;
    return !selects;
  });
  return !selects;
}

/**
 * What to evaluate of an alert expression: for a comparison without `bool`, its non-literal side(s); for
 * `and`/`or`/`unless`, both operands; for `absent(…)`/`absent_over_time(…)`, the inner selector; applied
 * recursively. Anything else is evaluated as it is.
 */
export function signalExpressions(expr: string): string[] {
  const out: string[] = [];
  const visit = (raw: SyntaxNode): void => {
    const node = unwrap(raw);
    if (node.type.name === 'BinaryExpr') {
      const [lhs, rhs] = exprChildren(node);
      let op = '';
      let bool = false;
      for (let c = node.firstChild; c; c = c.nextSibling) {
        if (COMPARISONS.has(c.type.name) || SET_OPERATORS.has(c.type.name)) op = c.type.name;
        if (c.type.name === 'BoolModifier') bool = true;
      }
      if (lhs && rhs && SET_OPERATORS.has(op)) {
        visit(lhs);
        visit(rhs);
        return;
      }
      if (lhs && rhs && COMPARISONS.has(op) && !bool) {
        for (const side of [lhs, rhs]) if (!isLiteral(side)) visit(side);
        return;
      }
    }
    if (node.type.name === 'FunctionCall') {
      const fn = node.getChild('FunctionIdentifier')?.firstChild?.type.name;
      const body = node.getChild('FunctionCallBody');
      const arg = body ? exprChildren(body)[0] : undefined;
      if ((fn === 'Absent' || fn === 'AbsentOverTime') && arg) {
        // absent_over_time(x[10m]) → x
        const inner = unwrap(arg);
        const selector = inner.type.name === 'MatrixSelector' ? inner.getChild('VectorSelector') : inner;
        out.push(expr.slice((selector ?? inner).from, (selector ?? inner).to));
        return;
      }
    }
    out.push(expr.slice(node.from, node.to));
  };
  const top = parser.parse(expr).topNode;
  visit(top);
  return out;
}

export interface CheckResult {
  expr: string;
  ok: boolean;
  problems: string[];
  series: number;
}

export interface CheckOptions {
  /** Only check that the query parses (Lezer and Prometheus); for Tempo-only series. @default false */
  parseOnly?: boolean;
}

export interface CheckerOptions {
  /**
   * Labels known to be absent from this data (e.g. `instance` when no resource has service.instance.id): a query
   * naming them is not reported for it. Every other label a query names must exist.
   */
  absentLabels?: readonly string[];
}

/** Runs `checkQuery` with caches of what Prometheus knows about each metric. */
export class PromQLChecker {
  private readonly seriesCache = new Map<string, Promise<number>>();
  private readonly labelCache = new Map<string, Promise<Set<string>>>();

  constructor(
    private readonly prometheus: PrometheusServer,
    /** The evaluation time of every query (one point in time for the whole run). */
    private readonly at: Date = new Date(),
    private readonly options: CheckerOptions = {},
  ) {}

  private since(): string {
    return String(this.at.getTime() / 1000 - 15 * 60);
  }

  private seriesCount(metric: string): Promise<number> {
    let p = this.seriesCache.get(metric);
    if (!p) {
      p = this.prometheus
        .get<{ data?: unknown[] }>('/api/v1/series', [['match[]', metric], ['start', this.since()], ['end', String(this.at.getTime() / 1000)]])
        .then((body) => body.data?.length ?? 0);
      this.seriesCache.set(metric, p);
    }
    return p;
  }

  private labelsOf(metric: string): Promise<Set<string>> {
    let p = this.labelCache.get(metric);
    if (!p) {
      p = this.prometheus
        .get<{ data?: string[] }>('/api/v1/labels', [['match[]', metric], ['start', this.since()], ['end', String(this.at.getTime() / 1000)]])
        .then((body) => new Set(body.data ?? []));
      this.labelCache.set(metric, p);
    }
    return p;
  }

  async check(expr: string, options: CheckOptions = {}): Promise<CheckResult> {
    const problems = syntaxErrors(expr).map((e) => `Lezer: ${e}`);
    const response: QueryResponse = await this.prometheus.query(expr, this.at);
    if (response.status !== 'success') problems.push(`Prometheus: ${response.errorType ?? 'error'}: ${response.error ?? 'unknown error'}`);
    let series = 0;
    if (response.status === 'success' && response.data) {
      const { resultType, result } = response.data;
      series = resultType === 'vector' || resultType === 'matrix' ? (result as unknown[]).length : 1;
    }
    if (options.parseOnly) return { expr, ok: problems.length === 0, problems, series };
    if (response.status === 'success' && series === 0) problems.push('no series');

    const { metrics, labels } = referencedNames(expr);
    const known: string[] = [];
    for (const metric of metrics) {
      if ((await this.seriesCount(metric)) === 0) problems.push(`metric ${metric} has no series`);
      else known.push(metric);
    }
    if (known.length > 0) {
      const available = new Set<string>();
      for (const metric of known) for (const l of await this.labelsOf(metric)) available.add(l);
      for (const label of labels) {
        if (this.options.absentLabels?.includes(label)) continue;
        if (!available.has(label)) problems.push(`label ${label} is on none of ${known.join(', ')}`);
      }
    }
    return { expr, ok: problems.length === 0, problems, series };
  }
}
