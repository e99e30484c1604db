/*
 * What the ESM wrappers (src/esm/*.mjs, copied to dist/esm) use of the CommonJS build besides its public index, in
 * one file: they import `../cjs/esm-bridge.js`, so reorganising src/patch/ cannot break them unseen. Not in the
 * package's `exports` map; nothing here is public API.
 */
export { importEsmSdk, patchWhenImported } from './instrumentation';
