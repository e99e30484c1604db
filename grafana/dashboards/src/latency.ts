// mcp-latency: how long MCP operations take, per method and tool, with links to slow traces.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import {
  MCP_SERVER_SPANS,
  OPERATION,
  SPAN_LATENCY,
  eq,
  quantile,
  quantileOverRange,
  rate,
  re,
  sel,
  sumBy,
  traceql,
} from './queries';
import { barGaugePanel, heatmapPanel, mcpDashboard, prom, tablePanel, timeseriesPanel, traceTablePanel } from './panels';
import { commonVariables, methodVariable, toolVariable } from './variables';

export const UID = 'mcp-latency';

const method = { mcp_method_name: re('method') };
const tools = { mcp_method_name: eq('tools/call'), gen_ai_tool_name: re('tool') };
const QUANTILES: Array<[number, string]> = [
  [0.5, 'p50'],
  [0.95, 'p95'],
  [0.99, 'p99'],
];

/** Three instant queries (p50, p95, p99 over the range), merged into one table row per label set. */
function percentileTable(title: string, description: string, matchers: Record<string, string>, by: string) {
  return tablePanel({
    title,
    description,
    unit: 's',
    sortBy: 'p95',
    columns: { 'Value #A': 'p50', 'Value #B': 'p95', 'Value #C': 'p99' },
    targets: QUANTILES.map(([q]) =>
      prom(quantileOverRange(q, OPERATION, matchers, [by]), {
        instant: true,
        format: prometheus.PromQueryFormat.Table,
        legend: `{{${by}}}`,
      }),
    ),
  });
}

export function build(): dashboard.Dashboard {
  return mcpDashboard({
    uid: UID,
    title: 'MCP server / Latency',
    description:
      'Duration of MCP operations (mcp.server.operation.duration) per method and tool, heatmap, slowest tools, and Tempo span metrics with exemplars linking to traces.',
    variables: [...commonVariables(), methodVariable(), toolVariable()],
    sections: [
      {
        row: 'Methods',
        panels: [
          timeseriesPanel({
            title: 'Latency p50 / p95 / p99 (selected methods)',
            description: 'Quantiles of operation duration over all selected methods.',
            unit: 's',
            targets: QUANTILES.map(([q, name]) => prom(quantile(q, OPERATION, method), { legend: name })),
          }),
          timeseriesPanel({
            title: 'p95 latency by method',
            description: '95th percentile of operation duration per mcp.method.name.',
            unit: 's',
            targets: [prom(quantile(0.95, OPERATION, method, ['mcp_method_name']), { legend: '{{mcp_method_name}}' })],
          }),
          percentileTable(
            'Latency percentiles by method',
            'p50, p95 and p99 per method over the dashboard time range.',
            method,
            'mcp_method_name',
          ),
          heatmapPanel({
            title: 'Latency distribution (selected methods)',
            description: 'Operations per second per duration bucket (le) of mcp.server.operation.duration.',
            unit: 'reqps',
            yUnit: 's',
            expr: sumBy(['le'], rate(sel(`${OPERATION}_bucket`, method))),
          }),
        ],
      },
      {
        row: 'Tools',
        panels: [
          timeseriesPanel({
            title: 'p95 latency by tool',
            description: '95th percentile of tools/call duration per gen_ai.tool.name.',
            unit: 's',
            targets: [prom(quantile(0.95, OPERATION, tools, ['gen_ai_tool_name']), { legend: '{{gen_ai_tool_name}}' })],
          }),
          timeseriesPanel({
            title: 'p50 / p99 latency by tool',
            description: 'Median and 99th percentile of tools/call duration per tool.',
            unit: 's',
            targets: [
              prom(quantile(0.5, OPERATION, tools, ['gen_ai_tool_name']), { legend: 'p50 {{gen_ai_tool_name}}' }),
              prom(quantile(0.99, OPERATION, tools, ['gen_ai_tool_name']), { legend: 'p99 {{gen_ai_tool_name}}' }),
            ],
          }),
          barGaugePanel({
            title: 'Slowest tools (p95)',
            description: 'The 10 tools with the highest p95 duration over the dashboard time range.',
            unit: 's',
            targets: [
              prom(`sort_desc(topk(10, ${quantileOverRange(0.95, OPERATION, tools, ['gen_ai_tool_name'])}))`, {
                instant: true,
                legend: '{{gen_ai_tool_name}}',
              }),
            ],
          }),
          percentileTable(
            'Latency percentiles by tool',
            'p50, p95 and p99 per tool over the dashboard time range.',
            tools,
            'gen_ai_tool_name',
          ),
        ],
      },
      {
        row: 'Traces (Tempo span metrics, exemplars)',
        panels: [
          timeseriesPanel({
            title: 'Span latency p95 by method (exemplars)',
            description: 'p95 of MCP server spans from Tempo span metrics; exemplar dots open the trace in Tempo.',
            unit: 's',
            targets: [
              prom(quantile(0.95, SPAN_LATENCY, { ...MCP_SERVER_SPANS, ...method }, ['mcp_method_name']), {
                legend: '{{mcp_method_name}}',
                exemplar: true,
              }),
            ],
          }),
          timeseriesPanel({
            title: 'Span latency p95 by tool (exemplars)',
            description: 'p95 of tools/call spans per tool from Tempo span metrics; exemplars link to traces.',
            unit: 's',
            targets: [
              prom(quantile(0.95, SPAN_LATENCY, { ...MCP_SERVER_SPANS, ...tools }, ['gen_ai_tool_name']), {
                legend: '{{gen_ai_tool_name}}',
                exemplar: true,
              }),
            ],
          }),
          traceTablePanel({
            title: 'Slow or failing tool calls',
            description: 'Tempo search: tools/call spans of the selected tools slower than 1 s or with error status.',
            query: traceql(
              'span.mcp.method.name = "tools/call" && span.gen_ai.tool.name =~ "${tool:regex}" && (duration > 1s || status = error)',
              ['span.gen_ai.tool.name', 'span.error.type', 'span.mcp.client.type'],
            ),
          }),
        ],
      },
    ],
  });
}
