/*
 * The layout rules of src/ (README "Architecture"): no import cycles, type-only imports included (a cycle
 * of types is a concept living in two places), and only instrumentation.ts reaches into patch/, the folder
 * that knows how the MCP SDK is hooked.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(__dirname, '..', '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each file (relative to src/) and the src/ files it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const specifier = /(?:from\s+|import\s*\(\s*|require\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(specifier)].map((m) => relative(SRC, normalize(join(dirname(file), m[1]))) + '.ts');
    graph.set(relative(SRC, file), [...new Set(targets)]);
  }
  return graph;
}

function cycles(graph: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return found;
}

describe('src/ layout', () => {
  const graph = importGraph();

  it('reads the whole tree and resolves every relative import to a file of it', () => {
    expect(graph.size).toBeGreaterThan(30);
    for (const [file, targets] of graph) for (const target of targets) expect(graph.has(target), `${file} imports ${target}`).toBe(true);
  });

  it('has no import cycle', () => {
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const looped = new Map(graph);
    looped.set('semconv.ts', ['config.ts']);
    looped.set('config.ts', [...(graph.get('config.ts') ?? []), 'semconv.ts']);
    expect(cycles(looped).length).toBeGreaterThan(0);
  });

  it('keeps patch/ (how the SDK is hooked) behind instrumentation.ts', () => {
    const outside = [...graph]
      .filter(([file]) => !file.startsWith('patch/') && file !== 'instrumentation.ts')
      .flatMap(([file, targets]) => targets.filter((t) => t.startsWith('patch/')).map((t) => `${file} -> ${t}`));
    expect(outside).toEqual([]);
  });
});
