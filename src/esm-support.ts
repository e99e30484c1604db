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
