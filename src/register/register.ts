import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import type { Attributes } from '@opentelemetry/api';
import type { NodeSDK, NodeSDKConfiguration } from '@opentelemetry/sdk-node';
import { resolveConfig } from '../config';
import { consoleExporterRequested, consoleExportersToStderr } from './console-exporters';
import { deferExitUntil } from './deferred-exit';
import { stderrDiagLogger, warnOnce } from './diag-logger';
import { httpServerSpanOverrides } from './http-privacy';
import { withoutProcessArguments } from './process-arguments';
import { McpInstrumentation } from '../instrumentation';
import type { McpInstrumentationConfig } from '../types';

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
const DEFAULT_SHUTDOWN_TIMEOUT_MS = 5000;
const ATTR_SERVICE_INSTANCE_ID = 'service.instance.id';
type GlobalWithHandle = typeof globalThis & { [REGISTERED]?: RegisterHandle };
type Resources = typeof import('@opentelemetry/resources');

function envLogLevel(): DiagLogLevel | undefined {
  const raw = process.env.OTEL_LOG_LEVEL?.trim().toUpperCase();
  if (!raw) return undefined;
  const level = (DiagLogLevel as unknown as Record<string, DiagLogLevel>)[raw];
  return typeof level === 'number' ? level : DiagLogLevel.INFO;
}

/** Resolves to true when `promise` settled within `ms`, false when it was given up on. */
function withTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      diag.warn(`mcp-otel: shutdown did not finish within ${ms} ms; giving up on unsent telemetry`);
      resolve(false);
    }, ms);
    timer.unref?.();
    promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      (err) => {
        clearTimeout(timer);
        diag.error('mcp-otel: shutdown failed', err);
        resolve(true);
      },
    );
  });
}

function shutdownTimeout(value: unknown): number {
  if (value === undefined) return DEFAULT_SHUTDOWN_TIMEOUT_MS;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  warnOnce(`shutdownTimeoutMillis=${JSON.stringify(value) ?? String(value)} is not a non-negative number; using ${DEFAULT_SHUTDOWN_TIMEOUT_MS}`);
  return DEFAULT_SHUTDOWN_TIMEOUT_MS;
}

/**
 * The resource every process starts from: a `service.instance.id` of its own (Prometheus 3's OTLP receiver
 * and Tempo's span metrics make it the `instance` label; OpenTelemetry JS 2.x sets none), under the
 * application's resource, `OTEL_RESOURCE_ATTRIBUTES` and the other detectors, which all override it.
 */
function baseResource(resources: Resources, userResource: NodeSDKConfiguration['resource'] | undefined): NodeSDKConfiguration['resource'] {
  return resources.resourceFromAttributes({ [ATTR_SERVICE_INSTANCE_ID]: randomUUID() }).merge(userResource ?? resources.defaultResource());
}

/**
 * Starts the OpenTelemetry Node SDK (exporters from the standard `OTEL_*`
 * variables, OTLP/HTTP by default) with the MCP and HTTP instrumentations.
 * Call it once, before the MCP SDK is loaded; later calls return the first handle.
 */
export function register(options: RegisterOptions = {}): RegisterHandle {
  const g = globalThis as GlobalWithHandle;
  if (g[REGISTERED]) return g[REGISTERED];

  const enabled = !/^true$/i.test(process.env.OTEL_SDK_DISABLED?.trim() ?? '');
  let sdk: NodeSDK | undefined;
  let instrumentation: McpInstrumentation | undefined;
  try {
    const extra = options.sdk ?? {};
    // NodeSDK's constructor installs a DiagConsoleLogger for OTEL_LOG_LEVEL, whose info and
    // debug go to stdout (the stdio protocol channel), and logs through it at once. So the
    // stderr logger goes in first and the constructor does not see OTEL_LOG_LEVEL.
    const level = envLogLevel();
    if (level !== undefined) diag.setLogger(stderrDiagLogger, { logLevel: level, suppressOverrideMessage: true });
    // Loaded here, not at the top: users of McpInstrumentation alone should not pay for the whole SDK.
    // Loaded, and the HTTP instrumentation enabled, before any other instrumentation exists: the first
    // instrumentation enabled creates the shared require hook, which remembers every module it passes
    // unpatched (sdk-node's exporters load `http`), so `http` would stay unpatched for good.
    const { NodeSDK: Sdk } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
    const fromSdk = createRequire(require.resolve('@opentelemetry/sdk-node'));
    const resources = fromSdk('@opentelemetry/resources') as Resources;
    const privacy = httpServerSpanOverrides(resolveConfig(options.instrumentation ?? {}, process.env, () => {}));
    const http = options.http === false ? [] : [httpInstrumentation(privacy)];
    instrumentation = new McpInstrumentation({ ...options.instrumentation, enabled });
    if (consoleExporterRequested(process.env)) consoleExportersToStderr(fromSdk);
    const logLevelVar = process.env.OTEL_LOG_LEVEL;
    if (level !== undefined) delete process.env.OTEL_LOG_LEVEL;
    try {
      sdk = new Sdk({
        ...extra,
        resource: baseResource(resources, extra.resource),
        instrumentations: [instrumentation, ...http, ...(extra.instrumentations ?? [])],
      });
    } finally {
      if (level !== undefined) process.env.OTEL_LOG_LEVEL = logLevelVar;
    }
    const started = sdk;
    // Detectors the application chose itself report what they report; the SDK's own choice leaves out the
    // process's arguments (process-arguments.ts).
    if (extra.resourceDetectors) started.start();
    else withoutProcessArguments(resources.processDetector, () => started.start());
  } catch (err) {
    diag.error('mcp-otel: could not start the OpenTelemetry SDK; the server runs uninstrumented', err);
    sdk = undefined;
  }
  // The SDK could not start: still hand back an instrumentation, so the handle's contract holds.
  const mcp = instrumentation ?? new McpInstrumentation({ ...options.instrumentation, enabled });

  const timeout = shutdownTimeout(options.shutdownTimeoutMillis);
  let shuttingDown: Promise<boolean> | undefined;
  const flush = (): Promise<boolean> => {
    if (shuttingDown === undefined) {
      mcp.endSessions('server_shutdown');
      shuttingDown = withTimeout(sdk ? sdk.shutdown() : Promise.resolve(), timeout);
      deferExitUntil(shuttingDown);
    }
    return shuttingDown;
  };
  const shutdown = (): Promise<void> => flush().then(() => undefined);

  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => {
      void flush().then(() => {
        // Keep the default behaviour (exit) unless the application handles the signal itself.
        process.removeListener(signal, onSignal);
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
      });
    };
    for (const signal of SIGNALS) process.once(signal, onSignal);
    // The application has nothing left to do. If the exporters cannot finish in time, their own
    // retries and sockets would keep the process alive past the bound: end it, with its exit code.
    process.once('beforeExit', () => {
      void flush().then((finished) => {
        if (!finished) process.exit();
      });
    });
  }

  const handle: RegisterHandle = { instrumentation: mcp, shutdown };
  g[REGISTERED] = handle;
  return handle;
}

/**
 * The HTTP instrumentation, enabled, with `http` and `https` patched now rather than at their next `require`;
 * `overrides` (http-privacy.ts) go onto every HTTP server span as it starts.
 */
function httpInstrumentation(overrides: Attributes | undefined): InstanceType<typeof import('@opentelemetry/instrumentation-http').HttpInstrumentation> {
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const instrumentation = new HttpInstrumentation(overrides ? { startIncomingSpanHook: () => overrides } : {});
  require('node:http');
  require('node:https');
  return instrumentation;
}
