import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { diag } from '@opentelemetry/api';
import { sdkVersion, supported } from './module-hooks';

/*
 * An ES module application's SDK cannot be hooked without a loader hook (`node --import mcp-otel/register`
 * registers one). Without it — `--require` before an ES module app, `new McpInstrumentation()` in an ESM
 * NodeSDK set-up, a first-line `import 'mcp-otel/register'` after the app's static imports ran — the same
 * module URLs are imported again: they resolve to the application's own copies (loaded already, or loaded
 * now), whose classes are patched directly, since the SDK looks its methods up at call time.
 */

/** `import()` that survives TypeScript's CommonJS output (which turns a literal `import()` into `require()`). */
export const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** Places the application resolves packages from: its entry file, else the working directory. */
function resolveBases(): string[] {
  return [process.argv[1], path.join(process.cwd(), 'index.js')].filter((b): b is string => typeof b === 'string');
}

/** SDK 1.x (a supported version): its ESM server modules (server, Streamable HTTP and SSE transports) and client module next to the CJS build. */
function v1Urls(requireFrom: NodeJS.Require): string[] {
  const cjsPath = requireFrom.resolve('@modelcontextprotocol/sdk/server/index.js');
  const packageDir = cjsPath.slice(0, cjsPath.search(/[/\\]dist[/\\]cjs[/\\]/));
  if (!supported(sdkVersion(packageDir))) return [];
  const esmDir = path.dirname(cjsPath.replace(/([/\\])dist[/\\]cjs([/\\])/, '$1dist$1esm$2'));
  if (esmDir === path.dirname(cjsPath)) return [];
  return ['index.js', 'streamableHttp.js', 'sse.js', '../client/index.js'].map((file) => pathToFileURL(path.join(esmDir, file)).href);
}

/** SDK 2.x: the `import` entry of `@modelcontextprotocol/server` (and of `@modelcontextprotocol/client`). */
function v2Urls(requireFrom: NodeJS.Require, pkg = '@modelcontextprotocol/server'): string[] {
  const manifest = requireFrom.resolve(`${pkg}/package.json`);
  const root = (JSON.parse(readFileSync(manifest, 'utf8')) as { exports?: Record<string, unknown> }).exports?.['.'];
  const entry = (root as { import?: unknown } | undefined)?.import;
  const file = typeof entry === 'string' ? entry : (entry as { default?: unknown } | undefined)?.default;
  return typeof file === 'string' ? [pathToFileURL(path.join(path.dirname(manifest), file)).href] : [];
}

/** file: URLs of the SDK modules holding the classes mcp-otel patches, as the application resolves them. */
function sdkEsmServerUrls(): string[] {
  const urls = new Set<string>();
  for (const base of resolveBases()) {
    const requireFrom = createRequire(path.resolve(base));
    for (const find of [v1Urls, v2Urls, (r: NodeJS.Require) => v2Urls(r, '@modelcontextprotocol/client')]) {
      try {
        for (const url of find(requireFrom)) urls.add(url);
      } catch {
        // that SDK is not resolvable from here
      }
    }
    if (urls.size > 0) break;
  }
  return [...urls];
}

/** Imports each SDK module (one promise per module, so each is patched the moment it arrives). */
export function importEsmSdk(importUrl: (url: string) => Promise<unknown>): Array<Promise<unknown>> {
  return sdkEsmServerUrls().map((url) =>
    importUrl(url).then(undefined, (err) => {
      diag.debug(`mcp-otel: could not load ${url} to patch it`, err);
      return undefined;
    }),
  );
}

/** Something that can patch an SDK module namespace (the instrumentation). */
interface Patcher {
  isEnabled(): boolean;
  instrument(target: unknown): boolean;
}

/** Patches each module `importEsmSdk` loads as soon as it arrives. */
export function patchWhenImported(patcher: Patcher, modules: Array<Promise<unknown>>): void {
  for (const module of modules) {
    module.then((mod) => {
      if (mod !== undefined && patcher.isEnabled()) patcher.instrument(mod);
    });
  }
}

let esmMain: boolean | undefined;

/** Whether the application's entry file (`process.argv[1]`) is an ES module, by Node's rules for file names. */
export function mainIsEsm(): boolean {
  esmMain ??= detectEsm(process.argv[1]);
  return esmMain;
}

function detectEsm(main: string | undefined): boolean {
  if (!main) return false;
  if (/\.m[jt]s$/.test(main)) return true;
  if (/\.c[jt]s$/.test(main)) return false;
  let dir = path.dirname(path.resolve(main));
  for (;;) {
    try {
      return JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).type === 'module';
    } catch {
      // no (readable) package.json here: look further up
    }
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}
