import { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';

/*
 * SDK v2 (`@modelcontextprotocol/server`) keeps the seams v1.ts hooks
 * (`Protocol._onrequest`, `_onnotification`, `_onclose`, `_onerror`, `close`,
 * and `transport.send`), so v2 needs no adapter of its own: this file only says
 * where its `Server` class comes from. Its package root resolves (unlike v1's),
 * so the standard ESM and CommonJS hooks fire for it.
 */

export const SDK_V2_PACKAGE = '@modelcontextprotocol/server';
export const SUPPORTED_SDK_V2_VERSIONS = ['>=2.0.0 <3'];

type ExportsCallback = (exports: unknown) => void;

export function v2ModuleDefinition(onLoad: ExportsCallback, onUnload: ExportsCallback): InstrumentationNodeModuleDefinition {
  return new InstrumentationNodeModuleDefinition(
    SDK_V2_PACKAGE,
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
