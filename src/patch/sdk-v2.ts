import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

/*
 * SDK v2 (`@modelcontextprotocol/server`) keeps the seams v1.ts hooks
 * (`Protocol._onrequest`, `_onnotification`, `_onclose`, `_onerror`, `close`,
 * and `transport.send`), so v2 needs no adapter of its own: this file only says
 * where its `Server` class comes from. Its package root resolves (unlike v1's),
 * so the standard ESM and CommonJS hooks fire for it.
 */

export const SDK_V2_PACKAGE = '@modelcontextprotocol/server';
/** The 2.x client package bundles its own Protocol and Client. */
export const SDK_V2_CLIENT_PACKAGE = '@modelcontextprotocol/client';
export const SUPPORTED_SDK_V2_VERSIONS = ['>=2.0.0 <3'];

type ExportsCallback = (exports: unknown) => void;

export function v2ModuleDefinition(onLoad: ExportsCallback, onUnload: ExportsCallback, pkg = SDK_V2_PACKAGE): InstrumentationNodeModuleDefinition {
  return new InstrumentationNodeModuleDefinition(
    pkg,
    SUPPORTED_SDK_V2_VERSIONS,
    (exports) => {
      onLoad(exports);
      return exports;
    },
    (exports) => {
      if (exports) onUnload(exports);
    },
  );
}
