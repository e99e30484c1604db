// mcp-usage: who uses the MCP server, how much, and how often it fails.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import * as prometheus from '@grafana/grafana-foundation-sdk/prometheus';
import {
  CLIENT_OPERATIONS,
  OPERATION,
  SESSION_ACTIVE,
  SESSION_STARTED,
  FAILED,
  eq,
  errorRatio,
  ne,
  rate,
  re,
  sel,
  sumBy,
  topOverRange,
} from './queries';
import { barGaugePanel, mcpDashboard, prom, statPanel, tablePanel, timeseriesPanel } from './panels';
import { commonVariables, methodVariable, toolVariable } from './variables';

export const UID = 'mcp-usage';

const ops = `${OPERATION}_count`;
const method = { mcp_method_name: re('method') };
const tools = { mcp_method_name: eq('tools/call'), gen_ai_tool_name: re('tool') };

/** Link from a tracking ID cell to the client drill-down, keeping time range and common variables. */
const CLIENT_LINK =
  '/d/mcp-client?${__url_time_range}&${datasource:queryparam}&${traces:queryparam}' +
  '&${job:queryparam}&${instance:queryparam}&var-client_type=${__data.fields.mcp_client_type}' +
  '&var-tracking_id=${__value.raw}';

export function build(): dashboard.Dashboard {
  return mcpDashboard({
    uid: UID,
    title: 'MCP server / Usage',
    description:
      'Traffic of MCP servers instrumented with mcp-otel: requests by method and tool, clients by type and tracking ID, sessions, errors.',
    variables: [...commonVariables(), methodVariable(), toolVariable()],
    sections: [
      {
        row: 'Overview',
        panels: [
          statPanel({
            title: 'Requests per second',
            description: 'MCP requests and notifications received per second (selected methods).',
            unit: 'reqps',
            targets: [prom(sumBy([], rate(sel(ops, method))), { legend: 'requests/s' })],
          }),
          statPanel({
            title: 'Error ratio',
            description: 'Share of operations with an error.type (server errors, tool errors, cut-off requests).',
            unit: 'percentunit',
            decimals: 2,
            thresholds: [
              [0.01, 'orange'],
              [0.05, 'red'],
            ],
            targets: [prom(errorRatio(ops, method), { legend: 'error ratio' })],
          }),
          statPanel({
            title: 'Active sessions',
            description: 'MCP sessions currently open (mcp.server.session.active, non-standard).',
            unit: 'short',
            targets: [prom(sumBy([], sel(SESSION_ACTIVE)), { legend: 'sessions' })],
          }),
          statPanel({
            title: 'Sessions started per second',
            description: 'New MCP sessions (initialize answered) per second.',
            unit: 'cps',
            targets: [prom(sumBy([], rate(sel(SESSION_STARTED))), { legend: 'sessions/s' })],
          }),
        ],
      },
      {
        row: 'Methods and tools',
        panels: [
          timeseriesPanel({
            title: 'Requests per second by method',
            description: 'Rate of MCP requests and notifications per mcp.method.name.',
            unit: 'reqps',
            stack: true,
            targets: [prom(sumBy(['mcp_method_name'], rate(sel(ops, method))), { legend: '{{mcp_method_name}}' })],
          }),
          timeseriesPanel({
            title: 'Tool calls per second by tool',
            description: 'Rate of tools/call per gen_ai.tool.name (selected tools).',
            unit: 'reqps',
            stack: true,
            targets: [prom(sumBy(['gen_ai_tool_name'], rate(sel(ops, tools))), { legend: '{{gen_ai_tool_name}}' })],
          }),
          barGaugePanel({
            title: 'Top tools by call rate',
            description: 'The 10 most called tools, mean call rate over the dashboard time range.',
            unit: 'reqps',
            targets: [
              prom(topOverRange(10, sumBy(['gen_ai_tool_name'], rate(sel(ops, tools)))), {
                legend: '{{gen_ai_tool_name}}',
                instant: true,
              }),
            ],
          }),
          barGaugePanel({
            title: 'Top prompts by request rate',
            description: 'The 10 most requested prompts (prompts/get), mean rate over the dashboard time range.',
            unit: 'reqps',
            targets: [
              prom(
                topOverRange(
                  10,
                  sumBy(['gen_ai_prompt_name'], rate(sel(ops, { mcp_method_name: eq('prompts/get') }))),
                ),
                { legend: '{{gen_ai_prompt_name}}', instant: true },
              ),
            ],
          }),
        ],
      },
      {
        row: 'Clients',
        panels: [
          timeseriesPanel({
            title: 'Requests per second by client type',
            description: 'Operations of identified clients per mcp.client.type (from mcp.server.client.operations).',
            unit: 'reqps',
            stack: true,
            targets: [
              prom(sumBy(['mcp_client_type'], rate(sel(CLIENT_OPERATIONS, method))), { legend: '{{mcp_client_type}}' }),
            ],
          }),
          barGaugePanel({
            title: 'Top client types',
            description: 'Client types by mean operation rate over the dashboard time range.',
            unit: 'reqps',
            targets: [
              prom(topOverRange(10, sumBy(['mcp_client_type'], rate(sel(CLIENT_OPERATIONS, method)))), {
                legend: '{{mcp_client_type}}',
                instant: true,
              }),
            ],
          }),
          tablePanel({
            title: 'Top clients by tracking ID',
            description: 'The 20 busiest clients (mcp.client.tracking_id) by mean operation rate; click an ID to drill down.',
            unit: 'reqps',
            w: 12,
            sortBy: 'requests/s',
            columns: { Value: 'requests/s', mcp_client_tracking_id: 'tracking ID', mcp_client_type: 'client type' },
            links: { mcp_client_tracking_id: { title: 'Client drill-down', url: CLIENT_LINK } },
            targets: [
              prom(
                topOverRange(20, sumBy(['mcp_client_tracking_id', 'mcp_client_type'], rate(sel(CLIENT_OPERATIONS, method)))),
                { legend: '{{mcp_client_tracking_id}}', instant: true, format: prometheus.PromQueryFormat.Table },
              ),
            ],
          }),
          timeseriesPanel({
            title: 'Requests per second by tracking ID (top 10)',
            description: 'Operation rate of the 10 busiest clients at each point in time.',
            unit: 'reqps',
            targets: [
              prom(`topk(10, ${sumBy(['mcp_client_tracking_id'], rate(sel(CLIENT_OPERATIONS, method)))})`, {
                legend: '{{mcp_client_tracking_id}}',
              }),
            ],
          }),
        ],
      },
      {
        row: 'Sessions',
        panels: [
          timeseriesPanel({
            title: 'Active sessions by client type',
            description: 'Open MCP sessions per mcp.client.type.',
            unit: 'short',
            stack: true,
            targets: [prom(sumBy(['mcp_client_type'], sel(SESSION_ACTIVE)), { legend: '{{mcp_client_type}}' })],
          }),
          timeseriesPanel({
            title: 'Sessions started: new vs returning clients',
            description: 'Session starts per second; returning = tracking ID seen before by this process.',
            unit: 'cps',
            stack: true,
            rename: { true: 'returning clients', false: 'new clients' },
            targets: [
              prom(sumBy(['mcp_client_returning'], rate(sel(SESSION_STARTED))), { legend: '{{mcp_client_returning}}' }),
            ],
          }),
        ],
      },
      {
        row: 'Errors',
        panels: [
          timeseriesPanel({
            title: 'Error ratio by method',
            w: 8,
            description: 'Share of operations with an error.type, per method (0 when none failed).',
            unit: 'percentunit',
            min: 0,
            targets: [prom(errorRatio(ops, method, ['mcp_method_name']), { legend: '{{mcp_method_name}}' })],
          }),
          timeseriesPanel({
            title: 'Errors per second by error type',
            w: 8,
            description: 'Failed operations per error.type: JSON-RPC code, tool_error, cancelled, connection_closed, send_failed.',
            unit: 'reqps',
            stack: true,
            targets: [
              prom(sumBy(['error_type', 'mcp_method_name'], rate(sel(ops, { ...method, ...FAILED }))), {
                legend: '{{error_type}} {{mcp_method_name}}',
              }),
            ],
          }),
          timeseriesPanel({
            title: 'Rejected requests by status code (caller faults)',
            w: 8,
            description: 'JSON-RPC errors the conventions class as caller faults (no error.type), by rpc.response.status_code.',
            unit: 'reqps',
            stack: true,
            targets: [
              prom(
                sumBy(
                  ['rpc_response_status_code', 'mcp_method_name'],
                  rate(sel(ops, { ...method, error_type: eq(''), rpc_response_status_code: ne('') })),
                ),
                { legend: '{{rpc_response_status_code}} {{mcp_method_name}}' },
              ),
            ],
          }),
        ],
      },
    ],
  });
}
