/*
 * Spawns a fixture MCP server (test/fixtures) as a child process and connects a
 * real SDK Client to it over the SDK's StdioClientTransport. Records the raw
 * stdout of the child (to check that only JSON-RPC is ever written there) and
 * its stderr. Every child started here is tracked, so a test file can kill
 * whatever is left in afterEach.
 */
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';

export const REPO_ROOT = path.join(__dirname, '../..');
export const FIXTURES = path.join(REPO_ROOT, 'test/fixtures');

export const CLIENT_INFO = { name: 'stdio-test-client', version: '3.1.4' } as const;

/** A StdioClientTransport that also keeps everything the child writes to stdout and stderr. */
class RecordingStdioTransport extends StdioClientTransport {
  readonly stdoutChunks: Buffer[] = [];
  stderrText = '';
  child: ChildProcess | undefined;
  /** Resolves when the child has exited (never, if it could not be spawned). */
  readonly exited: Promise<ChildExit>;
  private exitedResolve!: (exit: ChildExit) => void;

  constructor(params: ConstructorParameters<typeof StdioClientTransport>[0]) {
    super(params);
    this.exited = new Promise((resolve) => (this.exitedResolve = resolve));
  }

  override async start(): Promise<void> {
    const stderr = this.stderr; // a PassThrough, available before start (stderr: 'pipe')
    stderr?.on('data', (chunk: Buffer) => {
      if (this.stderrText.length < 1_000_000) this.stderrText += chunk.toString('utf8');
    });
    await super.start();
    // Attached right after 'spawn', before the child can have written anything.
    const child = (this as unknown as { _process?: ChildProcess })._process;
    this.child = child;
    if (!child) return;
    child.stdout?.on('data', (chunk: Buffer) => this.stdoutChunks.push(chunk));
    if (child.exitCode !== null || child.signalCode !== null) this.exitedResolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => this.exitedResolve({ code, signal }));
  }
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface StdioChild {
  client: Client;
  transport: RecordingStdioTransport;
  pid: number;
  /** Errors the client saw (unparseable stdout lines end up here). */
  clientErrors: Error[];
  /** Resolves when the child has exited. */
  exited: Promise<ChildExit>;
  /** Everything the child wrote to stdout so far. */
  stdout(): string;
  /** Everything the child wrote to stderr so far. */
  stderr(): string;
  /** Sends `signal` to the child process. */
  kill(signal: NodeJS.Signals): void;
  /** Kills the child (SIGKILL) if it still runs and closes the client; bounded. */
  stop(): Promise<void>;
}

export interface StartChildOptions {
  /** File in test/fixtures, or an absolute path. */
  app: string;
  /** The `node` binary. @default process.execPath */
  node?: string;
  /** Working directory (where `mcp-otel/register` resolves from). @default the repository */
  cwd?: string;
  /** Node options before the script (e.g. `--import mcp-otel/register`). */
  nodeArgs?: string[];
  /** Arguments after the script. */
  args?: string[];
  /** Complete environment of the child, besides the SDK's few inherited basics (PATH, HOME, …). */
  env: Record<string, string>;
  clientInfo?: { name: string; version: string };
  /** Capabilities the client announces at initialize. */
  clientCapabilities?: ClientCapabilities;
  /** Longest wait for the initialize handshake. @default 10000 */
  connectTimeoutMs?: number;
  /** Called with the client before it connects (to answer the server's requests: roots, sampling, …). */
  beforeConnect?: (client: Client) => void;
}

const live = new Set<StdioChild>();

/** Starts a fixture server and connects (initialize + initialized) a Client to it. */
export async function startStdioChild(options: StartChildOptions): Promise<StdioChild> {
  const transport = new RecordingStdioTransport({
    command: options.node ?? process.execPath,
    args: [...(options.nodeArgs ?? []), path.resolve(FIXTURES, options.app), ...(options.args ?? [])],
    env: options.env,
    cwd: options.cwd ?? REPO_ROOT,
    stderr: 'pipe',
  });
  const client = new Client(options.clientInfo ?? CLIENT_INFO, { capabilities: options.clientCapabilities ?? {} });
  const clientErrors: Error[] = [];
  client.onerror = (err) => clientErrors.push(err);

  const child: StdioChild = {
    client,
    transport,
    pid: 0,
    clientErrors,
    exited: transport.exited,
    stdout: () => Buffer.concat(transport.stdoutChunks).toString('utf8'),
    stderr: () => transport.stderrText,
    kill: (signal) => {
      const proc = transport.child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${options.app} is not running`);
      proc.kill(signal);
    },
    stop: async () => {
      live.delete(child);
      const proc = transport.child;
      if (proc) {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        await Promise.race([transport.exited, delay(3000)]);
      }
      await Promise.race([client.close().catch(() => undefined), delay(3000)]);
    },
  };
  live.add(child);

  options.beforeConnect?.(client);
  const connectTimeout = options.connectTimeoutMs ?? 10_000;
  try {
    await withTimeout(client.connect(transport, { timeout: connectTimeout }), connectTimeout, 'connect');
  } catch (err) {
    const proc = transport.child;
    await child.stop();
    throw new Error(`could not connect to ${options.app} (exit ${proc?.exitCode ?? proc?.signalCode}): ${(err as Error).message}\nstderr:\n${transport.stderrText.slice(-4000)}`);
  }
  child.pid = transport.child?.pid ?? 0;
  return child;
}

/** Stops every child still running (for afterEach/afterAll). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

/** Each line the child wrote to stdout, parsed; throws if any line is not a JSON-RPC 2.0 message. */
export function jsonRpcLines(stdout: string): unknown[] {
  const lines = stdout.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((line, i) => {
    let message: { jsonrpc?: unknown } | undefined;
    try {
      message = JSON.parse(line.replace(/\r$/, ''));
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
    }
    if (message === null || typeof message !== 'object' || message.jsonrpc !== '2.0') {
      throw new Error(`stdout line ${i + 1} is not a JSON-RPC 2.0 message: ${line.slice(0, 200)}`);
    }
    return message;
  });
}

import { delay, waitUntil, withTimeout } from './wait';

export { delay, waitUntil, withTimeout };
