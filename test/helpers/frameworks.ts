/*
 * MCP servers built with frameworks (test/fixtures/frameworks), started in this
 * process over the frameworks' own HTTP transports on 127.0.0.1:
 * - fastmcp `httpStream` (mcp-proxy's startHTTPServer: one SDK `Server` and one
 *   Streamable HTTP transport per session);
 * - mcp-framework `http-stream` (its HttpStreamTransport: ONE SDK `Server` for all
 *   sessions, an SDK StreamableHTTPServerTransport per session behind it).
 * Both frameworks import the ESM build of @modelcontextprotocol/sdk, the copy that
 * `instrument()` (helpers/telemetry) patches.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { REPO_ROOT } from './stdio-child';
import { waitUntil } from './wait';

export interface FrameworkHttpServer {
  url: URL;
  /** Stops the framework's server (its own shutdown path); bounded. */
  stop(): Promise<void>;
}

/** A port that was free a moment ago (both frameworks need a port number up front). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Polls `condition` until it holds; throws after `timeoutMs`. */
export function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  return waitUntil(condition, timeoutMs, what);
}

function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function startFastMcpHttp(): Promise<FrameworkHttpServer> {
  const { createFastMcp } = await import('../fixtures/frameworks/fastmcp-server.mjs');
  const server = createFastMcp();
  const port = await freePort();
  await bounded(server.start({ transportType: 'httpStream', httpStream: { port, host: '127.0.0.1' } }), 10_000, 'fastmcp start');
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    stop: () => bounded(server.stop(), 10_000, 'fastmcp stop'),
  };
}

/** mcp-framework's lines on stderr (it logs every session and request at INFO); other output passes. */
const FRAMEWORK_LOG_LINE = /^\[\d{4}-\d\d-\d\dT[\d:.]+Z\] \[(INFO|WARN|DEBUG)\] /;
let quietDepth = 0;
let originalWrite: typeof process.stderr.write | undefined;

function quietFrameworkLogs(): () => void {
  if (quietDepth++ === 0) {
    originalWrite = process.stderr.write;
    const write = originalWrite;
    process.stderr.write = function (this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
      if (typeof chunk === 'string' && FRAMEWORK_LOG_LINE.test(chunk)) return true;
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof process.stderr.write;
  }
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    if (--quietDepth === 0 && originalWrite) process.stderr.write = originalWrite;
  };
}

export async function startMcpFrameworkHttp(): Promise<FrameworkHttpServer> {
  const { createMcpFramework } = await import('../fixtures/frameworks/mcp-framework-server.mjs');
  const port = await freePort();
  const restoreLogs = quietFrameworkLogs();
  const server = createMcpFramework({ type: 'http-stream', options: { port, host: '127.0.0.1' } });
  // start() resolves only when the server stops; it is listening once /health answers.
  const running: Promise<void> = server.start();
  let failed: unknown;
  running.catch((err: unknown) => (failed = err));
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (failed !== undefined) {
      restoreLogs();
      throw failed;
    }
    const ok = await fetch(new URL('/health', url)).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      restoreLogs();
      throw new Error('mcp-framework did not start listening within 10 s');
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    url,
    stop: async () => {
      try {
        await bounded(server.stop(), 10_000, 'mcp-framework stop');
        await bounded(running, 5000, 'mcp-framework start() settling');
      } finally {
        restoreLogs();
      }
    },
  };
}

export interface FrameworkChild {
  url: URL;
  /** Resolves when the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
  /** Kills the child (SIGKILL) if it still runs; bounded. */
  stop(): Promise<void>;
  stderr(): string;
}

const liveChildren = new Set<FrameworkChild>();

/**
 * Starts an HTTP fixture (test/fixtures/frameworks) in a child process on a free port given as $PORT,
 * and resolves once its /health endpoint answers.
 */
export function startFrameworkHttpChild(app: string, nodeArgs: string[], env: Record<string, string>): Promise<FrameworkChild> {
  return startHttpChild(path.join(REPO_ROOT, 'test/fixtures/frameworks', app), { nodeArgs, env, probe: '/health' });
}

/**
 * Starts a Node script that serves MCP at /mcp on $PORT (a free port), from the repository root (so
 * `--import mcp-otel/register` resolves), and resolves once `probe` gets any HTTP answer.
 */
export async function startHttpChild(
  script: string,
  options: { nodeArgs: string[]; env: Record<string, string>; args?: string[]; probe: string },
): Promise<FrameworkChild> {
  // These scripts take a port up front. freePort() closes its probe before the child binds the port, so another
  // process can take it in between: then the child exits with EADDRINUSE and a new port is tried (bounded).
  for (let attempt = 1; ; attempt++) {
    try {
      return await startHttpChildOn(await freePort(), script, options);
    } catch (err) {
      if (attempt >= 3 || !(err instanceof Error) || !err.message.includes('EADDRINUSE')) throw err;
    }
  }
}

async function startHttpChildOn(
  port: number,
  script: string,
  options: { nodeArgs: string[]; env: Record<string, string>; args?: string[]; probe: string },
): Promise<FrameworkChild> {
  const proc = spawn(process.execPath, [...options.nodeArgs, script, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => {
    if (stderr.length < 1_000_000) stderr += chunk.toString('utf8');
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const child: FrameworkChild = {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    exited,
    kill: (signal) => void proc.kill(signal),
    stop: async () => {
      liveChildren.delete(child);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    },
    stderr: () => stderr,
  };
  liveChildren.add(child);
  const deadline = Date.now() + 15_000;
  for (;;) {
    const listening = await fetch(new URL(options.probe, child.url)).then(
      () => true,
      () => false,
    );
    if (listening) return child;
    if (proc.exitCode !== null || Date.now() > deadline) {
      await child.stop();
      throw new Error(`${script} did not start listening (exit ${proc.exitCode}):\n${stderr.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Stops every framework child still running (for afterEach/afterAll). */
export async function stopFrameworkChildren(): Promise<void> {
  await Promise.all([...liveChildren].map((c) => c.stop()));
}
