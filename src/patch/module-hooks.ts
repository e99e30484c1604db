import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile } from '@opentelemetry/instrumentation';
import type { DiagLogger } from '@opentelemetry/api';
import { Hook } from 'require-in-the-middle';

/*
 * Where the SDK's classes come from (1.x and 2.x). SDK 1.x ships separate ESM and CommonJS
 * class graphs (dist/esm, dist/cjs); both are patched.
 * - ESM: the standard definitions below fire through import-in-the-middle.
 * - CommonJS: the standard hook never fires for SDK 1.x, whose root export
 *   points at a missing file (typescript-sdk #971), so require-in-the-middle is
 *   asked for the files by their normalised names directly.
 * - Already loaded CommonJS copies are found in require.cache.
 */

const SDK_PACKAGE = '@modelcontextprotocol/sdk';
/** The oldest tested (test/process/sdk-floor.test.ts): 1.10.0, the first with Streamable HTTP. */
const SUPPORTED_SDK_VERSIONS = ['>=1.10.0 <2'];
/** SDK files whose exports hold the classes mcp-otel patches (relative to dist/<format>/). */
const SDK_FILES = ['server/index.js', 'server/streamableHttp.js', 'server/sse.js', 'client/index.js'];

type ExportsCallback = (exports: unknown) => void;

/** The load and unload callbacks of a module definition: patch what a module exports, unpatch it on unload. */
function hooks(onLoad: ExportsCallback, onUnload: ExportsCallback): [(exports: unknown) => unknown, (exports: unknown) => void] {
  return [
    (exports) => {
      onLoad(exports);
      return exports;
    },
    (exports) => {
      if (exports) onUnload(exports);
    },
  ];
}

export function moduleDefinitions(onLoad: ExportsCallback, onUnload: ExportsCallback): InstrumentationNodeModuleDefinition {
  const files = ['esm', 'cjs'].flatMap((format) =>
    SDK_FILES.map((file) => new InstrumentationNodeModuleFile(`${SDK_PACKAGE}/dist/${format}/${file}`, SUPPORTED_SDK_VERSIONS, ...hooks(onLoad, onUnload))),
  );
  return new InstrumentationNodeModuleDefinition(SDK_PACKAGE, SUPPORTED_SDK_VERSIONS, undefined, undefined, files);
}

/*
 * SDK v2 (`@modelcontextprotocol/server`, `@modelcontextprotocol/client`) keeps the seams server.ts and client.ts
 * hook (`Protocol._onrequest`, `_onnotification`, `_onclose`, `_onerror`, `close`, `transport.send`), so v2 needs
 * no adapter of its own, only where its classes come from. Its package roots resolve (unlike v1's), so the
 * standard ESM and CommonJS hooks fire for them.
 */
const SDK_V2_PACKAGE = '@modelcontextprotocol/server';
/** The 2.x client package bundles its own Protocol and Client. */
export const SDK_V2_CLIENT_PACKAGE = '@modelcontextprotocol/client';
const SUPPORTED_SDK_V2_VERSIONS = ['>=2.0.0 <3'];

export function v2ModuleDefinition(onLoad: ExportsCallback, onUnload: ExportsCallback, pkg = SDK_V2_PACKAGE): InstrumentationNodeModuleDefinition {
  return new InstrumentationNodeModuleDefinition(pkg, SUPPORTED_SDK_V2_VERSIONS, ...hooks(onLoad, onUnload));
}

export function sdkVersion(baseDir: string | undefined): string | undefined {
  if (!baseDir) return undefined;
  try {
    const version = JSON.parse(readFileSync(path.join(baseDir, 'package.json'), 'utf8')).version;
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

/** 1.10 and later 1.x only (SUPPORTED_SDK_VERSIONS): other majors have other internals. */
export function supported(version: string | undefined): boolean {
  const match = typeof version === 'string' ? /^1\.(\d+)\.\d+/.exec(version) : null;
  return match !== null && Number(match[1]) >= 10;
}

/** require-in-the-middle names files `<package>/<path>` without `.js` and `/index.js`. */
const CJS_NAMES = SDK_FILES.map((file) => `${SDK_PACKAGE}/dist/cjs/${file.replace(/(\/index)?\.js$/, '')}`);

/** Hooks the CommonJS build of SDK 1.x. Returns the hook so it can be removed. */
export function hookCommonJs(onLoad: ExportsCallback, diag: DiagLogger): { unhook(): void } {
  return new Hook(CJS_NAMES, { internals: true }, (exports, name, baseDir) => {
    if (supported(sdkVersion(baseDir))) onLoad(exports);
    else diag.debug(`mcp-otel: ${name} at ${baseDir} is not a supported SDK version`);
    return exports;
  });
}

const CJS_FILE = /[/\\]@modelcontextprotocol[/\\]sdk[/\\]dist[/\\]cjs[/\\](server[/\\](index|streamableHttp|sse)|client[/\\]index)\.js$/;

/** Patches CommonJS SDK copies that were loaded before the instrumentation was enabled. */
export function patchLoadedCommonJs(onLoad: ExportsCallback): void {
  const cache = typeof require === 'function' ? require.cache : undefined;
  if (!cache) return;
  for (const [file, mod] of Object.entries(cache)) {
    if (!mod?.loaded || !CJS_FILE.test(file)) continue;
    const baseDir = file.slice(0, file.search(/[/\\]dist[/\\]cjs[/\\]/));
    if (supported(sdkVersion(baseDir))) onLoad(mod.exports);
  }
}
