/*
 * `npm run demo` as README's Quick start offers it (after the build `npm test` has done): the example server under
 * `--import mcp-otel/register`, the load generator against it on 127.0.0.1, and the terminal report computed from
 * the server's own /metrics. Run for a bounded time (DEMO_DURATION_SECONDS), without a terminal: it must say what
 * it is doing, show traffic in the report, stop its children and exit 0.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/stdio-child';

function runDemo(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OTEL_'))) as Record<string, string>;
    const proc = spawn(process.execPath, [path.join(REPO_ROOT, 'examples/demo.mjs')], { cwd: REPO_ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    proc.stdout.on('data', (chunk) => (out += chunk));
    proc.stderr.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe('npm run demo', () => {
  it('says what it starts, reports traffic from the server’s metrics, and stops by itself with 0', async () => {
    const { code, out } = await runDemo({ DEMO_DURATION_SECONDS: '8', DEMO_INTERVAL_SECONDS: '2', LOAD_SESSIONS_PER_MINUTE: '120' }, 60_000);
    expect(code, out).toBe(0);
    expect(out).toContain("[demo] no OTEL_EXPORTER_OTLP_ENDPOINT: reading the server's metrics");
    expect(out).toContain('[demo] starting the example server');
    // The server picks its own port; the demo reads it from the server's log and says it.
    const port = /\[server\] MCP server on http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(out)?.[1];
    expect(port, out).toBeDefined();
    expect(out).toContain(`[demo] server ready on http://127.0.0.1:${port}/mcp; starting the load generator`);
    // At least one report after traffic: a method with a rate, and tools/call among them.
    expect(out).toContain('Requests by method');
    expect(out).toMatch(/^ {2}tools\/call +\d+\.\d\d\/s/m);
    expect(out).toMatch(/Active sessions: \d+/);
    expect(out).toContain('[demo] stopped');
  }, 70_000);
});
