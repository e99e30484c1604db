// mcp-client: one client (tracking ID) in detail: traffic, errors, latency, sessions of its type, traces.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  CLIENT_OPERATIONS,
  FAILED,
  MCP_SERVER_SPANS,
  SESSION,
  SESSION_ACTIVE,
  SESSION_STARTED,
  SPAN_CALLS,
  SPAN_LATENCY,
  errorRatio,
  quantile,
  rate,
  re,
  sel,
  sumBy,
  traceql,
} from './queries';
import { mcpDashboard, prom, statPanel, timeseriesPanel, traceTablePanel } from './panels';
import { clientTypeVariable, commonVariables, trackingIdVariable } from './variables';

export const UID = 'mcp-client';

const client = { mcp_client_type: re('client_type'), mcp_client_tracking_id: re('tracking_id') };
const clientType = { mcp_client_type: re('client_type') };
const spans = { ...MCP_SERVER_SPANS, ...client };
const QUANTILES: Array<[number, string]> = [
  [0.5, 'p50'],
  [0.95, 'p95'],
  [0.99, 'p99'],
];

export function build(): dashboard.Dashboard {
  return mcpDashboard({
    uid: UID,
    title: 'MCP server / Client drill-down',
    description:
      'One MCP client by tracking ID (mcp.client.tracking_id): its traffic and errors (mcp.server.client.operations), latency and traces (Tempo), and the sessions of its client type.',
    variables: [...commonVariables(), clientTypeVariable(), trackingIdVariable()],
    sections: [
      {
        row: 'Traffic',
        panels: [
          statPanel({
            title: 'Requests per second',
            description: "This client's MCP requests and notifications per second.",
            unit: 'reqps',
            targets: [prom(sumBy([], rate(sel(CLIENT_OPERATIONS, client))), { legend: 'requests/s' })],
          }),
          statPanel({
            title: 'Error ratio',
            description: "Share of this client's operations with an error.type.",
            unit: 'percentunit',
            decimals: 2,
            thresholds: [
              [0.01, 'orange'],
              [0.05, 'red'],
            ],
            targets: [prom(errorRatio(CLIENT_OPERATIONS, client), { legend: 'error ratio' })],
          }),
          statPanel({
            title: 'Span latency p95',
            description: "p95 duration of this client's MCP server spans (Tempo span metrics).",
            unit: 's',
            targets: [prom(quantile(0.95, SPAN_LATENCY, spans), { legend: 'p95' })],
          }),
          statPanel({
            title: 'Active sessions (client type)',
            description: 'Open sessions of the selected client type: session metrics carry no tracking ID.',
            unit: 'short',
            targets: [prom(sumBy([], sel(SESSION_ACTIVE, clientType)), { legend: 'sessions' })],
          }),
          timeseriesPanel({
            title: 'Requests per second by method',
            description: "This client's operations per second by mcp.method.name.",
            unit: 'reqps',
            stack: true,
            targets: [
              prom(sumBy(['mcp_method_name'], rate(sel(CLIENT_OPERATIONS, client))), { legend: '{{mcp_method_name}}' }),
            ],
          }),
          timeseriesPanel({
            title: 'Errors per second by error type',
            description: "This client's failed operations per second by error.type and method.",
            unit: 'reqps',
            stack: true,
            targets: [
              prom(sumBy(['error_type', 'mcp_method_name'], rate(sel(CLIENT_OPERATIONS, { ...client, ...FAILED }))), {
                legend: '{{error_type}} {{mcp_method_name}}',
              }),
            ],
          }),
        ],
      },
      {
        row: 'Latency (Tempo span metrics, exemplars)',
        panels: [
          timeseriesPanel({
            title: 'Latency p50 / p95 / p99 (exemplars)',
            w: 8,
            description: "Quantiles of this client's MCP server span durations; exemplars open the traces in Tempo.",
            unit: 's',
            targets: QUANTILES.map(([q, name]) => prom(quantile(q, SPAN_LATENCY, spans), { legend: name, exemplar: true })),
          }),
          timeseriesPanel({
            title: 'p95 latency by method (exemplars)',
            w: 8,
            description: "p95 of this client's span durations per mcp.method.name (Tempo span metrics).",
            unit: 's',
            targets: [
              prom(quantile(0.95, SPAN_LATENCY, spans, ['mcp_method_name']), {
                legend: '{{mcp_method_name}}',
                exemplar: true,
              }),
            ],
          }),
          timeseriesPanel({
            title: 'Spans per second by status',
            w: 8,
            description: "This client's MCP server spans per second by span status (Tempo span metrics).",
            unit: 'reqps',
            stack: true,
            targets: [prom(sumBy(['status_code'], rate(sel(SPAN_CALLS, spans))), { legend: '{{status_code}}' })],
          }),
        ],
      },
      {
        row: 'Sessions of this client type',
        panels: [
          timeseriesPanel({
            title: 'Active sessions (client type)',
            description: 'Open sessions of the selected client type by transport (not per tracking ID).',
            unit: 'short',
            stack: true,
            targets: [
              prom(sumBy(['mcp_client_type', 'network_transport'], sel(SESSION_ACTIVE, clientType)), {
                legend: '{{mcp_client_type}} {{network_transport}}',
              }),
            ],
          }),
          timeseriesPanel({
            title: 'Sessions started (client type): new vs returning',
            description: 'Session starts of the selected client type per second, new vs returning clients.',
            unit: 'cps',
            stack: true,
            rename: { true: 'returning clients', false: 'new clients' },
            targets: [
              prom(sumBy(['mcp_client_returning'], rate(sel(SESSION_STARTED, clientType))), {
                legend: '{{mcp_client_returning}}',
              }),
            ],
          }),
          timeseriesPanel({
            title: 'Session ends by disconnect reason (client type)',
            description: 'Session ends of the selected client type per second by mcp.session.disconnect_reason.',
            unit: 'cps',
            stack: true,
            targets: [
              prom(sumBy(['mcp_session_disconnect_reason'], rate(sel(`${SESSION}_count`, clientType))), {
                legend: '{{mcp_session_disconnect_reason}}',
              }),
            ],
          }),
          timeseriesPanel({
            title: 'Session duration p50 / p95 (client type)',
            description: 'Median and 95th percentile session duration of the selected client type.',
            unit: 's',
            targets: [
              prom(quantile(0.5, SESSION, clientType), { legend: 'p50' }),
              prom(quantile(0.95, SESSION, clientType), { legend: 'p95' }),
            ],
          }),
        ],
      },
      {
        row: 'Traces',
        panels: [
          traceTablePanel({
            title: 'Traces of this client',
            description: 'Tempo search: recent MCP spans with this mcp.client.tracking_id.',
            query: traceql('span.mcp.client.tracking_id = "$tracking_id"', [
              'span.mcp.method.name',
              'span.gen_ai.tool.name',
              'span.error.type',
            ]),
            w: 12,
          }),
          traceTablePanel({
            title: 'Failed calls of this client',
            description: "Tempo search: this client's MCP spans with error status.",
            query: traceql('span.mcp.client.tracking_id = "$tracking_id" && status = error', [
              'span.mcp.method.name',
              'span.gen_ai.tool.name',
              'span.error.type',
            ]),
            w: 12,
          }),
        ],
      },
    ],
  });
}
