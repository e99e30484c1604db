// Panel, row and dashboard helpers shared by the MCP dashboards.
import * as bargauge from '@grafana/grafana-foundation-sdk/bargauge';
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as heatmap from '@grafana/grafana-foundation-sdk/heatmap';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import * as stat from '@grafana/grafana-foundation-sdk/stat';
import * as table from '@grafana/grafana-foundation-sdk/table';
import * as tempo from '@grafana/grafana-foundation-sdk/tempo';
import * as timeseries from '@grafana/grafana-foundation-sdk/timeseries';
import { PROMETHEUS, TEMPO } from './variables';

/** Every dashboard carries this tag; dashboard links find each other by it. */
export const TAG = 'mcp';

// Queries ---------------------------------------------------------------------------------------

export interface PromOptions {
  legend?: string;
  /** Instant query (tables, bar gauges, stats over the range); range query otherwise. */
  instant?: boolean;
  format?: prometheus.PromQueryFormat;
  /** Ask for exemplars (only Tempo span metrics carry them: the JS SDK records none). */
  exemplar?: boolean;
}

export function prom(expr: string, options: PromOptions = {}): prometheus.DataqueryBuilder {
  const q = new prometheus.DataqueryBuilder()
    .datasource(PROMETHEUS)
    .editorMode(prometheus.QueryEditorMode.Code)
    .expr(expr)
    .legendFormat(options.legend ?? '__auto')
    .exemplar(options.exemplar ?? false);
  if (options.format) q.format(options.format);
  return options.instant ? q.instant() : q.range();
}

export function traceqlQuery(query: string, limit = 20): tempo.DataqueryBuilder {
  return new tempo.DataqueryBuilder()
    .datasource(TEMPO)
    .queryType('traceql')
    .query(query)
    .limit(limit)
    .spss(3)
    .tableType(tempo.SearchTableType.Traces);
}

type Query = cog.Builder<cog.Dataquery>;

/** Gives targets refIds A, B, C… */
function withRefIds<T extends Query & { refId(id: string): unknown }>(targets: T[]): T[] {
  targets.forEach((t, i) => t.refId(String.fromCharCode(65 + i)));
  return targets;
}

// Panels ----------------------------------------------------------------------------------------

export interface PanelSpec {
  title: string;
  /** One line shown in the panel's info tooltip. */
  description: string;
  unit: string;
  targets: Array<prometheus.DataqueryBuilder>;
  /** Grid width (of 24) and height. */
  w?: number;
  h?: number;
}

export interface TimeseriesSpec extends PanelSpec {
  stack?: boolean;
  bars?: boolean;
  min?: number;
  max?: number;
  /** Rename series: legend value → display name. */
  rename?: Record<string, string>;
}

export function timeseriesPanel(spec: TimeseriesSpec): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8)
    .targets(withRefIds(spec.targets))
    .lineWidth(1)
    .fillOpacity(spec.stack || spec.bars ? 60 : 10)
    .drawStyle(spec.bars ? common.GraphDrawStyle.Bars : common.GraphDrawStyle.Line)
    .showPoints(common.VisibilityMode.Never)
    .spanNulls(false)
    .legend(
      new common.VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(common.LegendDisplayMode.Table)
        .placement(common.LegendPlacement.Bottom)
        .calcs(['mean', 'max']),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
  if (spec.stack) p.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
  if (spec.min !== undefined) p.min(spec.min);
  if (spec.max !== undefined) p.max(spec.max);
  for (const [from, to] of Object.entries(spec.rename ?? {})) {
    p.overrideByName(from, [{ id: 'displayName', value: to }]);
  }
  return p;
}

export interface StatSpec extends PanelSpec {
  /** Threshold steps above the base colour, e.g. [[0.01, 'orange'], [0.05, 'red']]. */
  thresholds?: Array<[number, string]>;
  decimals?: number;
}

export function statPanel(spec: StatSpec): stat.PanelBuilder {
  const steps: dashboard.Threshold[] = [{ value: null, color: 'green' }];
  for (const [value, color] of spec.thresholds ?? []) steps.push({ value, color });
  const p = new stat.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.w ?? 6)
    .height(spec.h ?? 4)
    .targets(withRefIds(spec.targets))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .thresholds(new dashboard.ThresholdsConfigBuilder().mode(dashboard.ThresholdsMode.Absolute).steps(steps));
  if (spec.decimals !== undefined) p.decimals(spec.decimals);
  return p;
}

/** Horizontal bar gauge over instant queries (top-N lists). */
export function barGaugePanel(spec: PanelSpec): bargauge.PanelBuilder {
  return new bargauge.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8)
    .targets(withRefIds(spec.targets))
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Gradient)
    .valueMode(common.BarGaugeValueMode.Color)
    .namePlacement(common.BarGaugeNamePlacement.Left)
    .showUnfilled(true)
    .min(0)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .colorScheme(new dashboard.FieldColorBuilder().mode(dashboard.FieldColorModeId.ContinuousGrYlRd));
}

export interface TableSpec extends PanelSpec {
  /** Instant queries are merged into one row per label set; `Value #A` etc. are renamed to these. */
  columns?: Record<string, string>;
  /** Columns hidden from the table. */
  hide?: string[];
  sortBy?: string;
  /** Field name → data link (title, url) on its cells. */
  links?: Record<string, { title: string; url: string }>;
}

export function tablePanel(spec: TableSpec): table.PanelBuilder {
  const hidden: Record<string, boolean> = { Time: true };
  for (const name of spec.hide ?? []) hidden[name] = true;
  const p = new table.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8)
    .targets(withRefIds(spec.targets))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: { excludeByName: hidden, renameByName: spec.columns ?? {}, indexByName: {} },
    });
  if (spec.sortBy) p.sortBy([new common.TableSortByFieldStateBuilder().displayName(spec.sortBy).desc(true)]);
  for (const [field, link] of Object.entries(spec.links ?? {})) {
    p.overrideByName(field, [{ id: 'links', value: [{ title: link.title, url: link.url }] }]);
  }
  return p;
}

export interface HeatmapSpec extends Omit<PanelSpec, 'targets'> {
  /** `sum by (le) (rate|increase(<histogram>_bucket{…}[$__rate_interval]))`. */
  expr: string;
  /** Unit of the buckets (y axis). */
  yUnit: string;
}

/** Heatmap of a Prometheus histogram (`format: heatmap`, buckets by `le`, no client-side calculation). */
export function heatmapPanel(spec: HeatmapSpec): heatmap.PanelBuilder {
  return new heatmap.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(PROMETHEUS)
    .unit(spec.unit)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8)
    .targets(withRefIds([prom(spec.expr, { legend: '{{le}}', format: prometheus.PromQueryFormat.Heatmap })]))
    .calculate(false)
    .yAxis(new heatmap.YAxisConfigBuilder().unit(spec.yUnit).axisPlacement(common.AxisPlacement.Left))
    .cellValues(new heatmap.CellValuesBuilder().unit(spec.unit))
    .color(
      new heatmap.HeatmapColorOptionsBuilder()
        .mode(heatmap.HeatmapColorMode.Scheme)
        .scheme('Oranges')
        .scale(heatmap.HeatmapColorScale.Exponential)
        .exponent(0.5)
        .steps(64)
        .fill('dark-orange')
        .reverse(false),
    )
    .showValue(common.VisibilityMode.Never)
    .tooltip(new heatmap.HeatmapTooltipBuilder().mode(common.TooltipDisplayMode.Single).yHistogram(true))
    .rowsFrame(new heatmap.RowsHeatmapOptionsBuilder().layout(common.HeatmapCellLayout.Le))
    .filterValues(new heatmap.FilterValueRangeBuilder().le(1e-9));
}

export interface TraceTableSpec {
  title: string;
  description: string;
  query: string;
  limit?: number;
  w?: number;
  h?: number;
}

/** Tempo search (TraceQL) shown as a table of traces; durations in ms as Tempo reports them. */
export function traceTablePanel(spec: TraceTableSpec): table.PanelBuilder {
  return new table.PanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .datasource(TEMPO)
    .unit('ms')
    .span(spec.w ?? 24)
    .height(spec.h ?? 10)
    .targets(withRefIds([traceqlQuery(spec.query, spec.limit)]));
}

// Rows and dashboards ---------------------------------------------------------------------------

type AnyPanel = cog.Builder<dashboard.Panel>;

export interface Section {
  row: string;
  panels: AnyPanel[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  variables: Array<cog.Builder<dashboard.VariableModel>>;
  sections: Section[];
  refresh?: string;
  from?: string;
}

/** Builds a dashboard: fixed uid, tag `mcp`, links to the other MCP dashboards keeping time and variables. */
export function mcpDashboard(spec: DashboardSpec): dashboard.Dashboard {
  const builder = new dashboard.DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([TAG])
    .editable()
    .timezone('browser')
    .tooltip(dashboard.DashboardCursorSync.Crosshair)
    .time({ from: spec.from ?? 'now-1h', to: 'now' })
    .refresh(spec.refresh ?? '30s')
    .variables(spec.variables)
    .link(
      new dashboard.DashboardLinkBuilder('MCP dashboards')
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .targetBlank(false)
        .tooltip('Other MCP server dashboards, same time range and variables'),
    );
  for (const section of spec.sections) {
    builder.withRow(new dashboard.RowBuilder(section.row));
    for (const panel of section.panels) builder.withPanel(panel);
  }
  const built = builder.build();
  // Stable panel ids in layout order (rows included).
  let id = 1;
  for (const panel of built.panels ?? []) panel.id = id++;
  // Show the link bar in the dashboard header rather than inside the controls menu.
  for (const link of built.links ?? []) delete link.placement;
  return built;
}
