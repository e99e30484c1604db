// Preloaded with `node --import ./bench/http-instrumentation.mjs bench/run.mjs --http-child ...` (run.mjs spawns
// this itself for the Streamable HTTP workload): enables @opentelemetry/instrumentation-http before any bench or
// SDK code loads `node:http`, as in an app started with the OpenTelemetry Node SDK. Its tracer comes from the
// global tracer provider, which run.mjs registers afterwards (the API's proxy tracer picks it up).
import { createRequire } from 'node:module';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';

const instrumentation = new HttpInstrumentation();
instrumentation.enable();
// The instrumentation patches `http` when it is required (require-in-the-middle); ESM imports of `node:http`
// share that module object, so requiring it once here patches what run.mjs and the MCP SDK import later.
createRequire(import.meta.url)('node:http');
globalThis.__mcpOtelBenchHttpInstrumentation = instrumentation;
