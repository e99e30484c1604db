/*
 * grafana/prometheus/kubernetes/mcp-alerts.prometheusrule.yaml is generated from grafana/prometheus/rules/mcp-alerts.yml
 * by scripts/gen-prometheusrule.mjs (`npm run prometheusrule`). These tests check that the committed manifest is
 * what the generator produces and that it is a PrometheusRule whose groups are exactly the rule file's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { manifestProblems } from '../helpers/prometheusrule';
// @ts-expect-error: plain ESM script without type declarations
import { MANIFEST, RULES, prometheusRule } from '../../scripts/gen-prometheusrule.mjs';

const ROOT = join(__dirname, '..', '..');
const read = (file: string): string => readFileSync(file, 'utf8');

describe('PrometheusRule manifest', () => {
  const out = mkdtempSync(join(tmpdir(), 'mcp-otel-prometheusrule-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('regenerating gives exactly the committed file', () => {
    const file = join(out, 'manifest.yaml');
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'gen-prometheusrule.mjs'), '--out', file], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, `generator failed:\n${run.stdout}\n${run.stderr}`).toBe(0);
    expect(read(MANIFEST) === read(file), 'the PrometheusRule manifest is out of date: run `npm run prometheusrule` and commit the result').toBe(true);
  });

  it('is a monitoring.coreos.com/v1 PrometheusRule whose spec.groups are the rule file groups', () => {
    expect(manifestProblems(read(MANIFEST), read(RULES))).toEqual([]);
    const m = parse(read(MANIFEST)) as { metadata: { name: string }; spec: { groups: Array<{ name: string }> } };
    expect(m.metadata.name).toBe('mcp-otel-alerts');
    expect(m.spec.groups.map((g) => g.name)).toEqual(['mcp-server.rules', 'mcp-server.alerts']);
  });

  it('keeps the comments of the rule file', () => {
    const manifest = read(MANIFEST);
    expect(manifest).toContain('# THE knob for the error-budget alerts');
    expect(manifest).toMatch(/^# Prometheus Operator manifest of grafana\/prometheus\/rules\/mcp-alerts\.yml/);
  });

  it('negative control: a changed rule file, a wrong kind or extra spec keys are reported', () => {
    const rules = read(RULES);
    const changed = rules.replace('expr: vector(0.999)', 'expr: vector(0.99)');
    expect(changed).not.toBe(rules);
    expect(prometheusRule(changed)).not.toBe(read(MANIFEST));
    expect(manifestProblems(read(MANIFEST), changed)).toEqual(['spec.groups differ from the rule file groups']);
    expect(manifestProblems(read(MANIFEST).replace('kind: PrometheusRule', 'kind: ConfigMap'), rules)).toEqual(['kind ConfigMap']);
    expect(manifestProblems(read(MANIFEST).replace('apiVersion: monitoring.coreos.com/v1', 'apiVersion: v1'), rules)).toEqual(['apiVersion v1']);
    expect(manifestProblems(read(MANIFEST).replace('spec:\n', 'spec:\n  partial_response_strategy: warn\n'), rules)).toEqual(['spec must hold only groups, has partial_response_strategy, groups']);
    expect(() => prometheusRule('groups: [\n')).toThrow();
  });
});
