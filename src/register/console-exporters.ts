import { Console } from 'node:console';

/*
 * `OTEL_TRACES_EXPORTER=console` (and the metrics and logs equivalents) make the
 * OpenTelemetry SDK print with `console.dir`, that is to stdout, which on a
 * stdio server is the protocol channel. Under `register()` those exporters
 * print to stderr instead: while one of them exports (synchronously, so no
 * other code runs meanwhile) `console.dir` and `console.log` point at a
 * stderr console. Only the exporter classes of the SDK copy `register()`
 * starts are touched, and only when an `OTEL_*_EXPORTER` variable names
 * `console`.
 */

const REDIRECTED = Symbol.for('mcp-otel.console-exporter-to-stderr');
const EXPORTER_VARIABLES = ['OTEL_TRACES_EXPORTER', 'OTEL_METRICS_EXPORTER', 'OTEL_LOGS_EXPORTER'];
/** Where each console exporter lives in the SDK's dependencies (both the 2.x and 3.x lines). */
const EXPORTER_CLASSES: Array<[module: string, className: string]> = [
  ['@opentelemetry/sdk-trace', 'ConsoleSpanExporter'],
  ['@opentelemetry/sdk-trace-base', 'ConsoleSpanExporter'],
  ['@opentelemetry/sdk-metrics', 'ConsoleMetricExporter'],
  ['@opentelemetry/sdk-logs', 'ConsoleLogRecordExporter'],
];

type ExportFn = (this: unknown, ...args: unknown[]) => unknown;
type Proto = { export?: ExportFn; [REDIRECTED]?: true };

/** Whether any of the exporter variables asks for the console exporter. */
export function consoleExporterRequested(env: Record<string, string | undefined>): boolean {
  return EXPORTER_VARIABLES.some((name) =>
    (env[name] ?? '')
      .split(',')
      .some((entry) => entry.trim().toLowerCase() === 'console'),
  );
}

let stderrConsole: Console | undefined;

function redirect(proto: Proto): void {
  const original = proto.export;
  if (typeof original !== 'function' || proto[REDIRECTED]) return;
  proto.export = function exportToStderr(this: unknown, ...args: unknown[]) {
    stderrConsole ??= new Console({ stdout: process.stderr, stderr: process.stderr });
    const { dir, log } = console;
    console.dir = stderrConsole.dir.bind(stderrConsole);
    console.log = stderrConsole.log.bind(stderrConsole);
    try {
      return original.apply(this, args);
    } finally {
      console.dir = dir;
      console.log = log;
    }
  };
  proto[REDIRECTED] = true;
}

/**
 * Makes the console exporters of the SDK that `requireFromSdk` resolves print to stderr.
 * Returns how many exporter classes were redirected.
 */
export function consoleExportersToStderr(requireFromSdk: (id: string) => unknown): number {
  let redirected = 0;
  for (const [module, className] of EXPORTER_CLASSES) {
    let exports: Record<string, unknown>;
    try {
      exports = requireFromSdk(module) as Record<string, unknown>;
    } catch {
      continue; // not part of this SDK line
    }
    const cls = exports?.[className] as { prototype?: Proto } | undefined;
    if (cls?.prototype) {
      redirect(cls.prototype);
      redirected++;
    }
  }
  return redirected;
}
