/*
 * The links in the repository's Markdown: every relative link names a file or folder that exists, and every
 * `#anchor` names a heading of its target (GitHub's slugs). On the npm page the same relative links resolve against
 * package.json's `repository`, which `npm publish` insists on (scripts/check-publish.mjs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const DOCS = ['README.md', 'ARCHITECTURE.md', 'CHANGELOG.md', 'bench/README.md', 'grafana/README.md', 'examples/README.md'];

/** The text outside fenced code blocks. */
function prose(markdown: string): string {
  return markdown.replace(/^```[\s\S]*?^```/gm, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading] of prose(markdown).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const base = heading.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Every broken relative link of one document, as `doc: target (why)`. */
function brokenLinks(root: string, doc: string): string[] {
  const text = readFileSync(join(root, doc), 'utf8');
  const broken: string[] = [];
  for (const [, target] of prose(text).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue; // https:, mailto:
    const [path, anchor] = target.split('#');
    const file = path === '' ? join(root, doc) : join(root, dirname(doc), path);
    if (!existsSync(file)) broken.push(`${doc}: ${target} (no such file)`);
    else if (anchor !== undefined && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor)) {
      broken.push(`${doc}: ${target} (no such heading)`);
    }
  }
  return broken;
}

describe('documentation links', () => {
  it('every relative link and anchor in the Markdown resolves', () => {
    expect(DOCS.flatMap((doc) => brokenLinks(ROOT, doc))).toEqual([]);
  });

  it('negative control: a missing file and a missing heading are reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-links-'));
    try {
      writeFileSync(join(dir, 'a.md'), '# Title\n\n[ok](#title) [no heading](#nope) [no file](missing.md)\n```\n[in code](ignored.md)\n```\n');
      expect(brokenLinks(dir, 'a.md')).toEqual(['a.md: #nope (no such heading)', 'a.md: missing.md (no such file)']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm publish guard (prepublishOnly)', () => {
  const script = join(ROOT, 'scripts', 'check-publish.mjs');
  const check = (pkg: object) => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-publish-'));
    try {
      writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
      return spawnSync(process.execPath, [script, join(dir, 'package.json')], { encoding: 'utf8' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('is what prepublishOnly runs', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.prepublishOnly).toBe('node scripts/check-publish.mjs');
  });

  it('refuses a package without repository, homepage and bugs, and passes one with them', () => {
    const refused = check({ name: 'mcp-otel' });
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/lacks repository .*homepage .*bugs/);
    const accepted = check({ repository: { type: 'git', url: 'git+https://example.test/mcp-otel.git' }, homepage: 'https://example.test/mcp-otel#readme', bugs: { url: 'https://example.test/mcp-otel/issues' } });
    expect(accepted.status, accepted.stderr).toBe(0);
  });
});
