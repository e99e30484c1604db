import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { diag } from '@opentelemetry/api';
import type { McpInstrumentation } from './instrumentation';
import { sdkEsmServerUrls } from './register';

/**
 * ESM modules imported before a loader hook existed cannot be hooked, but
 * importing the same URLs again returns the same modules, whose classes can be
 * patched directly (the SDK looks its methods up at call time). One promise
 * per SDK module, so each is patched the moment it arrives.
 */
export function importEsmSdk(importUrl: (url: string) => Promise<unknown>): Array<Promise<unknown>> {
  return sdkEsmServerUrls().map((url) =>
    importUrl(url).then(undefined, (err) => {
      diag.debug(`mcp-otel: could not load ${url} to patch it`, err);
      return undefined;
    }),
  );
}

/** Patches each module `importEsmSdk` loads as soon as it arrives. */
export function patchWhenImported(instrumentation: McpInstrumentation, modules: Array<Promise<unknown>>): void {
  for (const module of modules) {
    module.then((mod) => {
      if (mod !== undefined && instrumentation.isEnabled()) instrumentation.instrument(mod);
    });
  }
}

/** `import()` that survives TypeScript's CommonJS output (which turns a literal `import()` into `require()`). */
export const dynamicImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** Whether the application's entry file (`process.argv[1]`) is an ES module, by Node's rules for file names. */
export function mainIsEsm(main: string | undefined = process.argv[1]): boolean {
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
