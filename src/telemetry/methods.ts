/*
 * What each MCP method means to the telemetry, in one table: whether it is a method of the specification (its
 * own metric series, never capped) and what it targets (the tool, prompt or resource named in its params,
 * which goes into the span name and attributes).
 */

export const METHOD_INITIALIZE = 'initialize';
export const METHOD_TOOLS_CALL = 'tools/call';

type MethodTarget = 'tool' | 'prompt' | 'resource';

/** The methods of the MCP specification, and their target where they have one. */
const METHODS: ReadonlyMap<string, MethodTarget | undefined> = new Map<string, MethodTarget | undefined>([
  ['tools/call', 'tool'],
  ['prompts/get', 'prompt'],
  ['resources/read', 'resource'],
  ['resources/subscribe', 'resource'],
  ['resources/unsubscribe', 'resource'],
  ['notifications/resources/updated', 'resource'],
  ...[
    'completion/complete', 'elicitation/create', 'initialize', 'logging/setLevel', 'notifications/cancelled',
    'notifications/initialized', 'notifications/message', 'notifications/progress', 'notifications/prompts/list_changed',
    'notifications/resources/list_changed', 'notifications/roots/list_changed', 'notifications/tools/list_changed',
    'ping', 'prompts/list', 'resources/list', 'resources/templates/list', 'roots/list', 'sampling/createMessage',
    'tools/list', 'tasks/get', 'tasks/result', 'tasks/list', 'tasks/cancel', 'notifications/tasks/status',
  ].map((method): [string, undefined] => [method, undefined]),
]);

/** Whether `method` is one of the specification (client-invented methods are capped on metrics). */
export function isKnownMethod(method: string): boolean {
  return METHODS.has(method);
}

/** What the method's params name: a tool, a prompt, a resource, or nothing. */
export function methodTarget(method: string): MethodTarget | undefined {
  return METHODS.get(method);
}
