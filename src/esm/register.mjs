// `node --import mcp-otel/register app.mjs` or `import 'mcp-otel/register'` as the first import.
// The loader hook must be registered before the instrumentation asks for modules,
// so it lives in its own module, evaluated first.
import './loader-hook.mjs';
import { register } from './index.mjs';
import { waitForLoaderHook } from './loader-hook.mjs';

register();
await waitForLoaderHook();
