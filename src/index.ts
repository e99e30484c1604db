export { McpInstrumentation } from './instrumentation';
export { register } from './register/register';
export type { RegisterHandle, RegisterOptions } from './register/register';
export type {
  McpIgnoreRequestHook,
  McpInstrumentationConfig,
  McpRedactFunction,
  McpRedactInfo,
  McpRequestHook,
  McpRequestInfo,
  McpResponseHook,
  McpResponseInfo,
  McpStatusCodeAttribute,
} from './types';
export { InMemoryActivityStore } from './activity/store';
export type { InMemoryActivityStoreOptions } from './activity/store';
export { registerActivityTool } from './activity/tool';
export type { ActivityToolOptions, ActivityToolServer } from './activity/tool';
export type {
  ActivityQuery,
  ClientActivity,
  ClientActivityStats,
  ClientActivityStore,
  McpDisconnectReason,
  McpSession,
  McpSessionEndHook,
  McpSessionStartHook,
  McpTrackingIdContext,
  McpTrackingIdFunction,
  McpUserContext,
} from './types';
