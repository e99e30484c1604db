/*
 * README's Quick start, run as pasted into a fresh directory: its shell blocks run in order with bash, each
 * JavaScript block is written to the file its first comment line names. The only change is where `mcp-otel`
 * comes from (the packed tarball instead of the registry); the MCP SDK, zod and @opentelemetry/api come from
 * the registry as they would for a user. What the section promises must be what arrives: the tool's answer on
 * stdout, and on stderr the spans, session events and metrics it names.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packTarball } from '../helpers/runtimes';
import { REPO_ROOT } from '../helpers/stdio-child';

interface Block {
  lang: string;
  body: string;
}

/** The fenced blocks of README's "## Quick start" section, in order. */
function quickStartBlocks(readme: string): { section: string; blocks: Block[] } {
  const start = readme.indexOf('\n## Quick start\n');
  if (start < 0) throw new Error('README has no "## Quick start" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start + 1, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], body: m[2] }));
  return { section, blocks };
}

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const { section, blocks } = quickStartBlocks(readme);

let packDir: string;
let dir: string;
let tarball: string;

beforeAll(() => {
  packDir = mkdtempSync(path.join(tmpdir(), 'mcp-otel-qs-pack-'));
  tarball = packTarball(packDir);
  dir = mkdtempSync(path.join(tmpdir(), 'mcp-otel-quick-start-'));
}, 60_000);

afterAll(() => {
  rmSync(packDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
});

// The user's shell: this runtime's node and npm first on PATH, none of the test run's own OTEL_* settings.
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}` };
  for (const key of Object.keys(env)) if (key.startsWith('OTEL_') || key.startsWith('npm_')) delete env[key];
  return env;
}

describe("README's Quick start, pasted into a fresh directory", () => {
  it('fits one screen and has install, server, client and run blocks', () => {
    expect(section.split('\n').length).toBeLessThanOrEqual(60);
    expect(blocks.map((b) => b.lang)).toEqual(['sh', 'js', 'js', 'sh']);
    expect(blocks[0].body).toMatch(/npm install mcp-otel /);
    expect(blocks[3].body).toContain('node client.mjs');
  });

  it(
    'installs, runs, answers the tool call and prints the spans, session events and metrics it names',
    () => {
      let last = { stdout: '', stderr: '' };
      for (const block of blocks) {
        if (block.lang === 'js') {
          const file = /^\/\/ ([\w.-]+\.m?js) /.exec(block.body)?.[1];
          expect(file, `first line of a Quick start JS block names its file:\n${block.body}`).toBeDefined();
          writeFileSync(path.join(dir, file!), block.body);
          continue;
        }
        // The registry's mcp-otel is not this build: install the packed tarball in its place.
        const script = block.body.replace(/npm install mcp-otel /, `npm install --no-audit --no-fund ${tarball} `);
        const run = spawnSync('bash', ['-euo', 'pipefail', '-c', script], { cwd: dir, env: userEnv(), encoding: 'utf8', timeout: 240_000 });
        expect(run.status, `${block.body}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`).toBe(0);
        last = { stdout: run.stdout, stderr: run.stderr };
      }
      expect(last.stdout).toBe('Hello, world!\n');
      // The console exporters' output (util.inspect of each span, log record and metric), on stderr.
      const err = last.stderr;
      for (const span of ['initialize', 'notifications/initialized', 'tools/call greet']) expect(err).toContain(`name: '${span}'`);
      expect(err).toContain("'gen_ai.tool.name': 'greet'");
      expect(err).toContain("'mcp.client.name': 'quick-start'");
      expect(err).toContain("'service.name': 'hello'");
      for (const event of ['mcp.session.start', 'mcp.session.end']) expect(err).toContain(`eventName: '${event}'`);
      for (const metric of ['mcp.server.operation.duration', 'mcp.server.session.duration', 'mcp.server.session.started']) {
        expect(err).toContain(`name: '${metric}'`);
      }
    },
    300_000,
  );
});
