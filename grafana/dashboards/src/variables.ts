// Template variables shared by the MCP dashboards.
//
// Every dashboard has `datasource` (Prometheus), `traces` (Tempo), `job` and `instance`; label
// variables are multi-select and are always matched with `=~` in queries.
//
// "All" is `.*` for `job` and `instance` and `.+` for every other label variable. `job` and `instance` come from
// the resource, not from the instrumentation: Prometheus' OTLP receiver (and Tempo's span metrics) set `instance`
// only from service.instance.id and `job` only from service.name, and leave the label out when the attribute is
// missing. `instance=~".+"` matches no series without the label, so with `.+` every panel would be empty for an SDK
// set-up without service.instance.id; `.*` also matches the absent label. (The instance variable then has no
// values, and Grafana offers only "All".) The other variables stay `.+`: "All tools" means the series that have a
// tool name.
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import { CLIENT_OPERATIONS, OPERATION, SESSION_STARTED, eq, re } from './queries';

/**
 * Datasource references through the datasource variables: no datasource uid is hard-coded anywhere, and the
 * dashboards carry no `__inputs` / `${DS_*}` placeholders. The same JSON then works when imported in the UI and
 * when provisioned from files (provisioning substitutes no `${DS_*}`); see grafana/README.md.
 */
export const PROMETHEUS = { type: 'prometheus', uid: '${datasource}' } as const;
export const TEMPO = { type: 'tempo', uid: '${traces}' } as const;

/**
 * Initial value of the datasource variables: Grafana's `default`, i.e. the organisation's default datasource when
 * it is of the variable's type (Grafana adds the "default" option only for `current` = {text: 'default', value:
 * 'default'}); otherwise Grafana falls back to the first datasource of the type by name. Never a uid, which may
 * not exist in the Grafana the dashboard lands in.
 */
export const DEFAULT_DATASOURCE: dashboard.VariableOption = { selected: true, text: 'default', value: 'default' };

/** `label_values(<metric>{<matchers>}, <label>)`. */
function labelValues(metric: string, matchers: Record<string, string>, label: string): string {
  const inner = Object.entries(matchers)
    .map(([name, m]) => `${name}${m}`)
    .join(', ');
  return `label_values(${metric}${inner ? `{${inner}}` : ''}, ${label})`;
}

/** "All" of `job` and `instance`: also matches series without the label (see the file comment). */
export const ALL_OPTIONAL = '.*';
/** "All" of the other label variables: every series that has the label. */
export const ALL_PRESENT = '.+';

function labelVariable(
  name: string,
  label: string,
  description: string,
  query: string,
  options: { multi?: boolean; includeAll?: boolean; allValue?: string } = {},
): dashboard.QueryVariableBuilder {
  const { multi = true, includeAll = true, allValue = ALL_PRESENT } = options;
  const builder = new dashboard.QueryVariableBuilder(name)
    .label(label)
    .description(description)
    .datasource(PROMETHEUS)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(multi)
    .includeAll(includeAll);
  // Multi-select label variables start on "All"; single-value ones on the first value.
  return includeAll ? builder.allValue(allValue).current({ selected: true, text: ['All'], value: ['$__all'] }) : builder;
}

export const datasourceVariable = (): dashboard.DatasourceVariableBuilder =>
  new dashboard.DatasourceVariableBuilder('datasource')
    .label('Metrics')
    .description('Prometheus datasource with the mcp-otel metrics (and Tempo span metrics).')
    .type('prometheus')
    .current(DEFAULT_DATASOURCE);

export const tracesVariable = (): dashboard.DatasourceVariableBuilder =>
  new dashboard.DatasourceVariableBuilder('traces')
    .label('Traces')
    .description('Tempo datasource with the MCP server spans.')
    .type('tempo')
    .current(DEFAULT_DATASOURCE);

export const jobVariable = (): dashboard.QueryVariableBuilder =>
  labelVariable(
    'job',
    'Job',
    'Service: <service.namespace>/<service.name> on the OTLP path, the scrape job otherwise.',
    labelValues(`${OPERATION}_count`, {}, 'job'),
    { allValue: ALL_OPTIONAL },
  );

export const instanceVariable = (): dashboard.QueryVariableBuilder =>
  labelVariable(
    'instance',
    'Instance',
    'Service instance (service.instance.id on the OTLP path, host:port when scraped). Empty when the SDK sets no service.instance.id: then All shows everything.',
    labelValues(`${OPERATION}_count`, { job: re('job') }, 'instance'),
    { allValue: ALL_OPTIONAL },
  );

export const methodVariable = (): dashboard.QueryVariableBuilder =>
  labelVariable(
    'method',
    'Method',
    'MCP method (mcp.method.name).',
    labelValues(`${OPERATION}_count`, { job: re('job'), instance: re('instance') }, 'mcp_method_name'),
  );

export const toolVariable = (): dashboard.QueryVariableBuilder =>
  labelVariable(
    'tool',
    'Tool',
    'Tool name (gen_ai.tool.name) of tools/call.',
    labelValues(
      `${OPERATION}_count`,
      { job: re('job'), instance: re('instance'), mcp_method_name: eq('tools/call') },
      'gen_ai_tool_name',
    ),
  );

export const clientTypeVariable = (): dashboard.QueryVariableBuilder =>
  labelVariable(
    'client_type',
    'Client type',
    'Client classification (mcp.client.type) of identified clients.',
    labelValues(SESSION_STARTED, { job: re('job'), instance: re('instance') }, 'mcp_client_type'),
  );

export const trackingIdVariable = (): dashboard.QueryVariableBuilder =>
  labelVariable(
    'tracking_id',
    'Tracking ID',
    'One client (mcp.client.tracking_id); _overflow gathers clients past maxTrackedClients.',
    labelValues(
      CLIENT_OPERATIONS,
      { job: re('job'), instance: re('instance'), mcp_client_type: re('client_type') },
      'mcp_client_tracking_id',
    ),
    { multi: false, includeAll: false },
  );

/** The variables every dashboard starts with. */
export const commonVariables = (): Array<dashboard.DatasourceVariableBuilder | dashboard.QueryVariableBuilder> => [
  datasourceVariable(),
  tracesVariable(),
  jobVariable(),
  instanceVariable(),
];
