export { McpInstrumentation } from './instrumentation';
export { register } from './register';
export type { RegisterHandle, RegisterOptions } from './register';
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
