// ESM entry: re-exports the CommonJS build so that one process never holds two
// copies of mcp-otel's state; adds patching of an ESM SDK imported before register().
import cjs from '../cjs/index.js';
import esmSupport from '../cjs/esm-bridge.js';

export const McpInstrumentation = cjs.McpInstrumentation;
export const InMemoryActivityStore = cjs.InMemoryActivityStore;
export const registerActivityTool = cjs.registerActivityTool;

/** Same as the CommonJS `register`, and also instruments an already imported ESM copy of the SDK. */
export function register(options) {
  const handle = cjs.register(options);
  if (handle.instrumentation.isEnabled()) {
    esmSupport.patchWhenImported(handle.instrumentation, esmSupport.importEsmSdk((url) => import(url)));
  }
  return handle;
}
