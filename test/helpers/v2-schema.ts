import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import type { z } from 'zod/v4';

/**
 * SDK 2.x types tool schemas as Standard Schema with JSON Schema (zod ≥ 4.2). The `zod/v4` of the zod 3.25 in the
 * devDependencies lacks `~standard.jsonSchema`; the SDK falls back to `z.toJSONSchema()` at run time (its warning
 * says so), but its types do not know that. The one cast for it, for the type-checked tests.
 */
export function v2Schema<S extends z.ZodType>(schema: S): StandardSchemaWithJSON<z.input<S>, z.output<S>> {
  return schema as unknown as StandardSchemaWithJSON<z.input<S>, z.output<S>>;
}
