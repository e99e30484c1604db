/*
 * Checks of the Prometheus Operator manifest generated from the rule file (scripts/gen-prometheusrule.mjs), shared
 * by test/stack/prometheusrule.test.ts (the committed files) and test/process/fresh-install.test.ts (the installed package).
 */
import { isDeepStrictEqual } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';

/** Checks a PrometheusRule manifest against the rule file's text; returns the problems (empty = fine). */
export function manifestProblems(manifestText: string, rulesText: string): string[] {
  const docs = parseAllDocuments(manifestText, { uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.length !== 1) return [`expected one YAML document, got ${list.length}`];
  const doc = list[0]!;
  if (doc.errors.length) return doc.errors.map(String);
  const m = doc.toJS() as Record<string, unknown>;
  const problems: string[] = [];
  if (m.apiVersion !== 'monitoring.coreos.com/v1') problems.push(`apiVersion ${String(m.apiVersion)}`);
  if (m.kind !== 'PrometheusRule') problems.push(`kind ${String(m.kind)}`);
  const metadata = (m.metadata ?? {}) as { name?: unknown; labels?: Record<string, unknown> };
  if (typeof metadata.name !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(metadata.name)) problems.push(`metadata.name ${String(metadata.name)} is not a DNS-1123 name`);
  const extra = Object.keys(m).filter((k) => !['apiVersion', 'kind', 'metadata', 'spec'].includes(k));
  if (extra.length) problems.push(`unexpected top-level keys ${extra.join(', ')}`);
  const spec = (m.spec ?? {}) as Record<string, unknown>;
  if (Object.keys(spec).join() !== 'groups') problems.push(`spec must hold only groups, has ${Object.keys(spec).join(', ')}`);
  const want = (parse(rulesText) as { groups: unknown }).groups;
  if (!isDeepStrictEqual(spec.groups, want)) problems.push('spec.groups differ from the rule file groups');
  return problems;
}
