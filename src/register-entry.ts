// `require('mcp-otel/register')` / `node --require mcp-otel/register`: start everything from OTEL_* variables.
import { dynamicImport, importEsmSdk, mainIsEsm, patchWhenImported } from './esm-support';
import { register } from './register';

const handle = register();
// `--require` before an ES module application: no loader hook will see its imports, but the SDK's ESM classes
// can be patched directly once loaded (the SDK looks its methods up at call time).
if (handle.instrumentation.isEnabled() && mainIsEsm()) patchWhenImported(handle.instrumentation, importEsmSdk(dynamicImport));
