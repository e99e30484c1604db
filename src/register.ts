import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { NodeSDK, NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { stderrDiagLogger } from './diag-logger';
import { McpInstrumentation } from './instrumentation';
import type { McpInstrumentationConfig } from './types';

export interface RegisterOptions {
  /** Configuration of the MCP instrumentation. */
  instrumentation?: McpInstrumentationConfig;
  /** Also trace incoming and outgoing HTTP requests with @opentelemetry/instrumentation-http. @default true */
  http?: boolean;
  /** Extra NodeSDK configuration; its `instrumentations` are added to mcp-otel's. Exporters otherwise come from `OTEL_*` variables. */
  sdk?: Partial<NodeSDKConfiguration>;
  /** Flush and shut down on SIGTERM, SIGINT and `beforeExit`. @default true */
  handleSignals?: boolean;
  /** Longest a shutdown waits for exporters. @default 5000 */
  shutdownTimeoutMillis?: number;
}

export interface RegisterHandle {
  /** The MCP instrumentation that was registered. */
  readonly instrumentation: McpInstrumentation;
  /** Flushes spans and metrics and stops the SDK; safe to call more than once; never rejects. */
  shutdown(): Promise<void>;
}

const REGISTERED = Symbol.for('mcp-otel.register.handle');
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type GlobalWithHandle = typeof globalThis & { [REGISTERED]?: RegisterHandle };

function envLogLevel(): DiagLogLevel | undefined {
  const raw = process.env.OTEL_LOG_LEVEL?.trim().toUpperCase();
  if (!raw) return undefined;
  const level = (DiagLogLevel as unknown as Record<string, DiagLogLevel>)[raw];
  return typeof level === 'number' ? level : DiagLogLevel.INFO;
}

function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      diag.warn(`mcp-otel: shutdown did not finish within ${ms} ms; giving up on unsent telemetry`);
      resolve();
    }, ms);
    timer.unref?.();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err) => {
        clearTimeout(timer);
        diag.error('mcp-otel: shutdown failed', err);
        resolve();
      },
    );
  });
}

/**
 * Starts the OpenTelemetry Node SDK (exporters from the standard `OTEL_*`
 * variables, OTLP/HTTP by default) with the MCP and HTTP instrumentations.
 * Call it once, before the MCP SDK is loaded; later calls return the first handle.
 */
export function register(options: RegisterOptions = {}): RegisterHandle {
  const g = globalThis as GlobalWithHandle;
  if (g[REGISTERED]) return g[REGISTERED];

  const instrumentation = new McpInstrumentation({
    ...options.instrumentation,
    enabled: !/^true$/i.test(process.env.OTEL_SDK_DISABLED?.trim() ?? ''),
  });
  let sdk: NodeSDK | undefined;
  try {
    const extra = options.sdk ?? {};
    // NodeSDK's constructor installs a DiagConsoleLogger for OTEL_LOG_LEVEL, whose info and
    // debug go to stdout (the stdio protocol channel), and logs through it at once. So the
    // stderr logger goes in first and the constructor does not see OTEL_LOG_LEVEL.
    const level = envLogLevel();
    if (level !== undefined) diag.setLogger(stderrDiagLogger, { logLevel: level, suppressOverrideMessage: true });
    const logLevelVar = process.env.OTEL_LOG_LEVEL;
    if (level !== undefined) delete process.env.OTEL_LOG_LEVEL;
    // Loaded here, not at the top: users of McpInstrumentation alone should not pay for the whole SDK.
    const { NodeSDK: Sdk } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
    const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
    try {
      sdk = new Sdk({
        ...extra,
        instrumentations: [
          instrumentation,
          ...(options.http === false ? [] : [new HttpInstrumentation()]),
          ...(extra.instrumentations ?? []),
        ],
      });
    } finally {
      if (level !== undefined) process.env.OTEL_LOG_LEVEL = logLevelVar;
    }
    sdk.start();
  } catch (err) {
    diag.error('mcp-otel: could not start the OpenTelemetry SDK; the server runs uninstrumented', err);
    sdk = undefined;
  }

  const timeout = options.shutdownTimeoutMillis ?? 5000;
  let shuttingDown: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    if (shuttingDown === undefined) {
      instrumentation.endSessions('server_shutdown');
      shuttingDown = withTimeout(sdk ? sdk.shutdown() : Promise.resolve(), timeout);
    }
    return shuttingDown;
  };

  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => {
      void shutdown().then(() => {
        // Keep the default behaviour (exit) unless the application handles the signal itself.
        process.removeListener(signal, onSignal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    for (const signal of SIGNALS) process.once(signal, onSignal);
    process.once('beforeExit', () => void shutdown());
  }

  const handle: RegisterHandle = { instrumentation, shutdown };
  g[REGISTERED] = handle;
  return handle;
}

/**
 * file: URLs of the ESM build of the SDK's server modules (server, Streamable
 * HTTP and SSE transports) as the application resolves them, for patching ESM
 * copies imported before `register()` ran.
 */
export function sdkEsmServerUrls(): string[] {
  const bases = [process.argv[1], path.join(process.cwd(), 'index.js')].filter((b): b is string => typeof b === 'string');
  for (const base of bases) {
    try {
      const cjsPath = createRequire(path.resolve(base)).resolve('@modelcontextprotocol/sdk/server/index.js');
      const esmDir = path.dirname(cjsPath.replace(/([/\\])dist[/\\]cjs([/\\])/, '$1dist$1esm$2'));
      if (esmDir === path.dirname(cjsPath)) continue;
      return ['index.js', 'streamableHttp.js', 'sse.js'].map((file) => pathToFileURL(path.join(esmDir, file)).href);
    } catch {
      // not resolvable from here
    }
  }
  return [];
}
