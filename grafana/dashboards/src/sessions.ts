// mcp-sessions: session starts and ends, why sessions end, how long they last, what disconnects cut off.
import type * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  CUT_OFF_ERROR_TYPES,
  FAILED,
  OPERATION,
  SESSION,
  SESSION_ACTIVE,
  SESSION_STARTED,
  errorRatio,
  increase,
  match,
  quantile,
  rate,
  re,
  sel,
  sumBy,
} from './queries';
import { heatmapPanel, mcpDashboard, prom, statPanel, timeseriesPanel } from './panels';
import { clientTypeVariable, commonVariables } from './variables';

export const UID = 'mcp-sessions';

const clientType = { mcp_client_type: re('client_type') };
const ended = `${SESSION}_count`;

export function build(): dashboard.Dashboard {
  return mcpDashboard({
    uid: UID,
    title: 'MCP server / Sessions and disconnects',
    description:
      'MCP sessions: starts and ends, disconnect reasons (mcp.session.disconnect_reason), session duration by client type and transport, sessions ending in errors, requests cut off by disconnects.',
    variables: [...commonVariables(), clientTypeVariable()],
    sections: [
      {
        row: 'Sessions',
        panels: [
          statPanel({
            title: 'Active sessions',
            description: 'MCP sessions currently open (selected client types).',
            unit: 'short',
            targets: [prom(sumBy([], sel(SESSION_ACTIVE, clientType)), { legend: 'sessions' })],
          }),
          statPanel({
            title: 'Sessions started per second',
            description: 'Sessions started (initialize answered) per second.',
            unit: 'cps',
            targets: [prom(sumBy([], rate(sel(SESSION_STARTED, clientType))), { legend: 'started/s' })],
          }),
          statPanel({
            title: 'Sessions ended per second',
            description: 'Sessions ended for any reason per second.',
            unit: 'cps',
            targets: [prom(sumBy([], rate(sel(ended, clientType))), { legend: 'ended/s' })],
          }),
          statPanel({
            title: 'Sessions ending in errors',
            description: 'Share of session ends with an error.type (disconnect reason "error").',
            unit: 'percentunit',
            decimals: 2,
            thresholds: [
              [0.01, 'orange'],
              [0.05, 'red'],
            ],
            targets: [prom(errorRatio(ended, clientType), { legend: 'error ratio' })],
          }),
          timeseriesPanel({
            title: 'Sessions started and ended',
            description: 'Session starts (mcp.server.session.started) and ends (count of mcp.server.session.duration) per second.',
            unit: 'cps',
            targets: [
              prom(sumBy([], rate(sel(SESSION_STARTED, clientType))), { legend: 'started' }),
              prom(sumBy([], rate(sel(ended, clientType))), { legend: 'ended' }),
            ],
          }),
          timeseriesPanel({
            title: 'Active sessions by client type and transport',
            description: 'Open sessions per mcp.client.type and network.transport (pipe = stdio, tcp = HTTP).',
            unit: 'short',
            stack: true,
            targets: [
              prom(sumBy(['mcp_client_type', 'network_transport'], sel(SESSION_ACTIVE, clientType)), {
                legend: '{{mcp_client_type}} {{network_transport}}',
              }),
            ],
          }),
        ],
      },
      {
        row: 'Disconnects',
        panels: [
          timeseriesPanel({
            title: 'Disconnect reasons',
            description: 'Session ends per second by mcp.session.disconnect_reason (client_disconnect, timeout, server_shutdown, error).',
            unit: 'cps',
            stack: true,
            bars: true,
            targets: [
              prom(sumBy(['mcp_session_disconnect_reason'], rate(sel(ended, clientType))), {
                legend: '{{mcp_session_disconnect_reason}}',
              }),
            ],
          }),
          timeseriesPanel({
            title: 'Sessions ending in errors by error type',
            description: 'Session ends with reason "error" per second, by error.type and client type.',
            unit: 'cps',
            stack: true,
            targets: [
              prom(sumBy(['error_type', 'mcp_client_type'], rate(sel(ended, { ...clientType, ...FAILED }))), {
                legend: '{{error_type}} {{mcp_client_type}}',
              }),
            ],
          }),
          timeseriesPanel({
            title: 'Requests cut off by disconnects',
            description: 'Requests that got no response: connection_closed, send_failed or cancelled, by method (all client types).',
            unit: 'reqps',
            stack: true,
            targets: [
              prom(
                sumBy(['error_type', 'mcp_method_name'], rate(sel(`${OPERATION}_count`, { error_type: match(CUT_OFF_ERROR_TYPES) }))),
                { legend: '{{error_type}} {{mcp_method_name}}' },
              ),
            ],
          }),
          timeseriesPanel({
            title: 'Session ends by protocol version and transport',
            description: 'Session ends per second by negotiated mcp.protocol.version and network.transport.',
            unit: 'cps',
            stack: true,
            targets: [
              prom(sumBy(['mcp_protocol_version', 'network_transport'], rate(sel(ended, clientType))), {
                legend: '{{mcp_protocol_version}} {{network_transport}}',
              }),
            ],
          }),
        ],
      },
      {
        row: 'Session duration',
        panels: [
          timeseriesPanel({
            title: 'Session duration by client type (p50 / p95)',
            description: 'Median and 95th percentile of mcp.server.session.duration per client type.',
            unit: 's',
            targets: [
              prom(quantile(0.5, SESSION, clientType, ['mcp_client_type']), { legend: 'p50 {{mcp_client_type}}' }),
              prom(quantile(0.95, SESSION, clientType, ['mcp_client_type']), { legend: 'p95 {{mcp_client_type}}' }),
            ],
          }),
          timeseriesPanel({
            title: 'Session duration by transport (p50 / p95)',
            description: 'Median and 95th percentile of session duration per network.transport.',
            unit: 's',
            targets: [
              prom(quantile(0.5, SESSION, clientType, ['network_transport']), { legend: 'p50 {{network_transport}}' }),
              prom(quantile(0.95, SESSION, clientType, ['network_transport']), { legend: 'p95 {{network_transport}}' }),
            ],
          }),
          heatmapPanel({
            title: 'Session duration distribution',
            description: 'Sessions ended per duration bucket (le) of mcp.server.session.duration.',
            unit: 'short',
            yUnit: 's',
            w: 24,
            expr: sumBy(['le'], increase(sel(`${SESSION}_bucket`, clientType))),
          }),
        ],
      },
    ],
  });
}
