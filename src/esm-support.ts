import { diag } from '@opentelemetry/api';
import type { McpInstrumentation } from './instrumentation';
import { sdkEsmServerUrls } from './register';

/**
 * ESM modules imported before the loader hook existed cannot be hooked, but
 * importing the same URL again returns the same module, whose classes can be
 * patched directly (the SDK looks its methods up at call time).
 */
export function patchImportedEsmSdk(instrumentation: McpInstrumentation, importUrl: (url: string) => Promise<unknown>): void {
  if (!instrumentation.isEnabled()) return;
  for (const url of sdkEsmServerUrls()) {
    importUrl(url).then(
      (mod) => instrumentation.instrument(mod),
      (err) => diag.debug(`mcp-otel: could not load ${url} to patch it`, err),
    );
  }
}
