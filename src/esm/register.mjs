// `node --import mcp-otel/register app.mjs` or `import 'mcp-otel/register'` as the first import.
import cjs from '../cjs/index.js';
import esmSupport from '../cjs/esm-bridge.js';

// With a first-line import the application's static imports (the SDK among them) were loaded before this
// file ran, so no hook will see them. Import the same URLs now, before the loader hook exists, so that they
// resolve to the application's own copies; they are patched once they arrive.
const disabled = /^true$/i.test(process.env.OTEL_SDK_DISABLED?.trim() ?? '');
const alreadyImported = disabled ? [] : esmSupport.importEsmSdk((url) => import(url));

// The loader hook must exist before the instrumentations ask for modules.
const { waitForLoaderHook } = await import('./loader-hook.mjs');
const handle = cjs.register();
esmSupport.patchWhenImported(handle.instrumentation, alreadyImported);
await waitForLoaderHook();
