/*
 * Spawns an MCP server that listens on Streamable HTTP (a fixture, or an example) as a child `node` process,
 * started the way README tells users to (`--import`/`--require mcp-otel/register` before the script), and waits
 * until it says which port it listens on. The environment is exactly what the test gives (plus PATH and HOME),
 * so no OTEL_* or NODE_OPTIONS of the test runner leaks in.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { REPO_ROOT, withTimeout } from './stdio-child';
import type { ChildExit } from './stdio-child';

export interface HttpChild {
  proc: ChildProcess;
  port: number;
  url: URL;
  stdout(): string;
  stderr(): string;
  exited: Promise<ChildExit>;
}

export interface StartHttpChildOptions {
  /** Script path relative to `cwd`. */
  script: string;
  /** The `node` binary. @default process.execPath */
  node?: string;
  /** @default the repository root */
  cwd?: string;
  nodeArgs?: string[];
  env: Record<string, string>;
  /** How the child announces its port (first capture group), on stdout or stderr. */
  listening?: RegExp;
  /** Longest wait for the announcement. @default 10000 */
  startTimeoutMs?: number;
}

const live = new Set<HttpChild>();

export async function startHttpChild(options: StartHttpChildOptions): Promise<HttpChild> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env };
  const proc = spawn(options.node ?? process.execPath, [...(options.nodeArgs ?? []), options.script], {
    cwd: options.cwd ?? REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const exited = new Promise<ChildExit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  const listening = options.listening ?? /listening (\d+)/;
  const port = await withTimeout(
    new Promise<number>((resolve, reject) => {
      const check = () => {
        const match = listening.exec(out) ?? listening.exec(err);
        if (match) resolve(Number(match[1]));
      };
      proc.stdout?.on('data', (c: Buffer) => {
        out += c.toString();
        check();
      });
      proc.stderr?.on('data', (c: Buffer) => {
        err += c.toString();
        check();
      });
      void exited.then((exit) => reject(new Error(`${options.script} exited (${exit.code ?? exit.signal}) before listening:\n${err.slice(-4000)}`)));
    }),
    options.startTimeoutMs ?? 10_000,
    `${options.script} listening`,
  );
  const child: HttpChild = { proc, port, url: new URL(`http://127.0.0.1:${port}/mcp`), stdout: () => out, stderr: () => err, exited };
  live.add(child);
  void exited.then(() => live.delete(child));
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves with how the child ended. */
export async function stopHttpChild(child: HttpChild, graceMs = 8000): Promise<ChildExit> {
  if (child.proc.exitCode === null && child.proc.signalCode === null) child.proc.kill('SIGTERM');
  const killer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
  const exit = await child.exited;
  clearTimeout(killer);
  return exit;
}

/** Kills whatever is still running (for afterEach/afterAll). */
export async function killAllHttpChildren(): Promise<void> {
  await Promise.all([...live].map((c) => stopHttpChild(c, 1000)));
}

/** A real SDK Client connected over Streamable HTTP. */
export async function connectHttpClient(url: URL, name = 'otlp-path-client'): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name, version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(url);
  await withTimeout(client.connect(transport), 10_000, 'connect over Streamable HTTP');
  return { client, transport };
}
