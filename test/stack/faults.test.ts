/*
 * A failing collector must not hurt the server: with the OTLP receiver
 * answering 500 or 429, answering after seconds, or resetting connections,
 * every MCP request still succeeds, nothing goes unhandled, the process stays
 * up, and export resumes when the collector recovers. An unreachable collector
 * does not make shutdown hang. (Latency figures under faults are in bench/.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpReceiver, ReceiverFault } from '../helpers/otlp-receiver';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import * as path from 'node:path';
import { REPO_ROOT, startStdioChild, stopAllChildren } from '../helpers/stdio-child';

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await stopAllChildren();
  await receiver.close();
});

function env(endpoint: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'faults',
    OTEL_EXPORTER_OTLP_TIMEOUT: '1000',
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    OTEL_METRIC_EXPORT_TIMEOUT: '1000',
    OTEL_BSP_SCHEDULE_DELAY: '50',
    OTEL_LOGS_EXPORTER: 'none',
    OTEL_LOG_LEVEL: 'warn',
  };
}

async function calls(client: import('@modelcontextprotocol/sdk/client/index.js').Client, n: number, tag: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const result = await client.callTool({ name: 'add', arguments: { a: tag, b: i } });
    expect(result.content).toEqual([{ type: 'text', text: String(tag + i) }]);
  }
}

describe('collector faults', () => {
  it('500, 429, slow answers and connection resets: every request succeeds and export resumes', { timeout: 60_000 }, async () => {
    const child = await startStdioChild({ app: 'esm-app.mjs', nodeArgs: ['--import', 'mcp-otel/register'], env: env(receiver.url) });
    await calls(child.client, 20, 0);
    await receiver.waitFor(() => receiver.spans().some((s) => s.name === 'tools/call add'), 10_000, 'first spans');

    const faults: ReceiverFault[] = [
      { kind: 'status', status: 500 },
      { kind: 'status', status: 429 },
      { kind: 'slow', delayMs: 5000 },
      { kind: 'reset' },
    ];
    for (const [i, fault] of faults.entries()) {
      receiver.setFault(fault);
      const faultedBefore = receiver.faulted;
      await calls(child.client, 100, 1000 * (i + 1));
      // At least one export attempt meets the fault (polled: how soon depends on the runtime and on retry backoff).
      await receiver.waitFor(() => receiver.faulted > faultedBefore, 10_000, `an export attempt against fault ${fault.kind}`);
      expect(receiver.faulted, `the exporter met fault ${fault.kind}`).toBeGreaterThan(faultedBefore);
    }

    receiver.setFault({ kind: 'none' });
    const before = receiver.spans().length;
    await calls(child.client, 20, 9000);
    await receiver.waitFor(() => receiver.spans().length >= before + 20, 15_000, 'spans after recovery');

    expect(child.clientErrors).toEqual([]);
    expect(child.stderr()).not.toMatch(/Unhandled|unhandledRejection|uncaughtException/i);
    await child.stop();
  });

  it('an unreachable collector: requests succeed and SIGTERM still exits within the shutdown bound', { timeout: 30_000 }, async () => {
    const child = await startStdioChild({ app: 'esm-app.mjs', nodeArgs: ['--import', 'mcp-otel/register'], env: env('http://127.0.0.1:9') });
    await calls(child.client, 50, 7);
    const started = Date.now();
    child.kill('SIGTERM');
    const exit = await child.exited;
    const took = Date.now() - started;
    expect(exit.signal).toBe('SIGTERM');
    expect(took).toBeLessThan(9000); // register bounds shutdown at 5 s even when nothing can be delivered
    expect(child.stderr()).not.toMatch(/Unhandled|unhandledRejection|uncaughtException/i);
  });

  it("an unreachable collector and a server whose SIGINT handler calls process.exit(0): the exit waits for the flush only within the bound, with the server's code", { timeout: 30_000 }, async () => {
    const everything = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
    const child = await startStdioChild({ app: everything, nodeArgs: ['--import', 'mcp-otel/register'], env: env('http://127.0.0.1:9') });
    await child.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } });
    const started = Date.now();
    child.kill('SIGINT');
    const exit = await child.exited;
    const took = Date.now() - started;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(9000);
    expect(child.stderr()).not.toMatch(/Unhandled|unhandledRejection|uncaughtException/i);
  });
});
