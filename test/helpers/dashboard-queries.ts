/*
 * The queries of the committed Grafana dashboards (grafana/dashboards/*.json), for tests:
 * syntax and lint checks (test/stack/dashboards.test.ts) and live runs against a real Prometheus.
 *
 * `dashboardPromQL()` returns every Prometheus target with Grafana's variables substituted so that
 * the expression runs as-is against the Prometheus HTTP API:
 *   label variables ($job, ${tool}, ${tool:regex}, …) → their "All" value (`allValue`: `.*` for job and
 *     instance, `.+` for the others), `.+` for a variable without "All" (every dashboard matches them with =~)
 *   $__rate_interval → 1m, $__range → 5m, $__interval → 15s
 * `dashboardTraceQL()` does the same for the Tempo (TraceQL) targets.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DASHBOARD_DIR = resolve(__dirname, '..', '..', 'grafana', 'dashboards');

/** Grafana's macros and the values they get in tests. */
export const MACRO_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __range: '5m',
  __interval: '15s',
};

/** What a label variable without an "All" value (`allValue`) becomes. */
export const LABEL_VARIABLE_VALUE = '.+';

// Loose shapes of the classic dashboard JSON the tests read.
export interface DatasourceRef {
  type?: string;
  uid?: string;
}
export interface Target {
  refId?: string;
  datasource?: DatasourceRef;
  expr?: string;
  query?: string;
  queryType?: string;
  instant?: boolean;
  range?: boolean;
  format?: string;
  exemplar?: boolean;
  legendFormat?: string;
  [key: string]: unknown;
}
export interface Panel {
  id?: number;
  type: string;
  title?: string;
  description?: string;
  datasource?: DatasourceRef;
  targets?: Target[];
  panels?: Panel[];
  fieldConfig?: { defaults?: { unit?: string; [key: string]: unknown }; overrides?: unknown[] };
  [key: string]: unknown;
}
export interface Variable {
  name: string;
  type: string;
  query?: unknown;
  datasource?: DatasourceRef;
  multi?: boolean;
  includeAll?: boolean;
  allValue?: string;
  [key: string]: unknown;
}
export interface Dashboard {
  uid: string;
  title: string;
  description?: string;
  tags?: string[];
  refresh?: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
  links?: Array<Record<string, unknown>>;
  [key: string]: unknown;
}

export interface LoadedDashboard {
  file: string;
  dashboard: Dashboard;
}

/** The committed dashboards, in file-name order. */
export function loadDashboards(dir: string = DASHBOARD_DIR): LoadedDashboard[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, dashboard: JSON.parse(readFileSync(join(dir, file), 'utf8')) as Dashboard }));
}

/** Every panel, including the panels of collapsed rows. */
export function allPanels(dashboard: Dashboard): Panel[] {
  const out: Panel[] = [];
  const walk = (panels: Panel[] | undefined): void => {
    for (const p of panels ?? []) {
      out.push(p);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Names of the variables that stand for label values (query, custom, textbox, constant variables). */
export function labelVariableNames(dashboard: Dashboard): string[] {
  return (dashboard.templating?.list ?? []).filter((v) => v.type !== 'datasource' && v.type !== 'interval').map((v) => v.name);
}

/**
 * Replaces Grafana variables in a query: `$name`, `${name}`, `${name:format}` and `[[name]]`.
 * `values` maps a variable name (macros without `$`, e.g. `__rate_interval`) to its replacement;
 * names missing from it get `fallback` (an error is thrown when no fallback is given).
 */
export function substituteVariables(query: string, values: Record<string, string>, fallback?: string): string {
  return query.replace(/\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]/g, (whole, a?: string, b?: string, c?: string) => {
    const name = (a ?? b ?? c) as string;
    if (Object.prototype.hasOwnProperty.call(values, name)) return values[name] as string;
    if (fallback !== undefined) return fallback;
    throw new Error(`no value for variable ${whole} in: ${query}`);
  });
}

/**
 * Test values for a dashboard's variables: macros as in MACRO_VALUES, label variables what Grafana sends for
 * "All" (their `allValue`), or LABEL_VARIABLE_VALUE for a variable without "All".
 */
export function testValues(dashboard: Dashboard): Record<string, string> {
  const values: Record<string, string> = { ...MACRO_VALUES };
  const byName = new Map((dashboard.templating?.list ?? []).map((v) => [v.name, v]));
  for (const name of labelVariableNames(dashboard)) {
    const v = byName.get(name);
    values[name] = v?.includeAll && typeof v.allValue === 'string' && v.allValue !== '' ? v.allValue : LABEL_VARIABLE_VALUE;
  }
  return values;
}

export interface DashboardQuery {
  /** Dashboard uid. */
  dashboard: string;
  /** Panel title. */
  panel: string;
  panelId: number | undefined;
  refId: string | undefined;
  /** The query with variables substituted, ready to run. */
  expr: string;
  /** The query as committed (with Grafana variables). */
  raw: string;
  /** Prometheus only: instant (true) or range (false) query. */
  instant: boolean;
  /** Prometheus only: exemplars requested. */
  exemplar: boolean;
}

function collect(kind: 'prometheus' | 'tempo', dir?: string): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const { dashboard } of loadDashboards(dir)) {
    const values = testValues(dashboard);
    for (const panel of allPanels(dashboard)) {
      for (const target of panel.targets ?? []) {
        const type = target.datasource?.type ?? panel.datasource?.type;
        if (type !== kind) continue;
        const raw = kind === 'prometheus' ? target.expr : target.query;
        if (typeof raw !== 'string' || raw === '') continue;
        out.push({
          dashboard: dashboard.uid,
          panel: panel.title ?? `panel ${panel.id}`,
          panelId: panel.id,
          refId: target.refId,
          expr: substituteVariables(raw, values),
          raw,
          instant: target.instant === true,
          exemplar: target.exemplar === true,
        });
      }
    }
  }
  return out;
}

/** Every PromQL target of the committed dashboards, variables substituted (see the file comment). */
export function dashboardPromQL(dir?: string): DashboardQuery[] {
  return collect('prometheus', dir);
}

/** Every TraceQL target (Tempo datasource) of the committed dashboards, variables substituted. */
export function dashboardTraceQL(dir?: string): DashboardQuery[] {
  return collect('tempo', dir);
}

export interface VariableQuery {
  dashboard: string;
  variable: string;
  /** `label_values(<selector>, <label>)` as committed. */
  raw: string;
  /** The series selector of the label_values() call, variables substituted (runnable PromQL). */
  selector: string;
  label: string;
}

/** The `label_values(selector, label)` queries of the dashboards' query variables. */
export function dashboardVariableQueries(dir?: string): VariableQuery[] {
  const out: VariableQuery[] = [];
  for (const { dashboard } of loadDashboards(dir)) {
    const values = testValues(dashboard);
    for (const v of dashboard.templating?.list ?? []) {
      if (v.type !== 'query') continue;
      const raw = typeof v.query === 'string' ? v.query : String((v.query as { query?: string })?.query ?? '');
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(raw.trim());
      if (!m) throw new Error(`${dashboard.uid}: variable ${v.name} is not label_values(selector, label): ${raw}`);
      out.push({
        dashboard: dashboard.uid,
        variable: v.name,
        raw,
        selector: substituteVariables(m[1] as string, values),
        label: m[2] as string,
      });
    }
  }
  return out;
}
