import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { Context, Link, TextMapGetter } from '@opentelemetry/api';

/** Reads trace context from `params._meta`, tolerating any shape a client sends. */
const META_GETTER: TextMapGetter<Record<string, unknown>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
  },
};

interface ParentContext {
  parent: Context;
  links?: Link[];
}

/**
 * The parent of a server span is the context the configured propagators
 * extract from `params._meta` (SEP-414); an ambient span (the HTTP server span)
 * is linked, not used as parent, because MCP and transport context are
 * independent (one stream carries many MCP messages).
 */
export function parentFromMeta(params: Record<string, unknown> | undefined): ParentContext {
  const meta = params?._meta;
  const parent =
    meta !== null && typeof meta === 'object' && !Array.isArray(meta)
      ? propagation.extract(ROOT_CONTEXT, meta as Record<string, unknown>, META_GETTER)
      : ROOT_CONTEXT;
  const ambient = trace.getSpanContext(context.active());
  if (ambient === undefined || !trace.isSpanContextValid(ambient)) return { parent };
  if (trace.getSpanContext(parent)?.spanId === ambient.spanId) return { parent };
  return { parent, links: [{ context: ambient }] };
}
