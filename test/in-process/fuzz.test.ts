/*
 * Bad input changes nothing: thousands of generated messages (malformed
 * JSON-RPC, wrong param types, huge and deeply nested arguments, non-object
 * _meta, invalid and oversized traceparent/baggage, unknown methods, ids of
 * every type, duplicate ids, cancellations of unknown requests) go to a real
 * McpServer over a real StdioServerTransport, once with mcp-otel disabled and
 * once enabled; the bytes the server writes back must be the same, and nothing
 * may throw. Runs in its own process with global providers registered.
 */
import { PassThrough } from 'node:stream';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import * as serverModule from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { describe, expect, it } from 'vitest';
import { McpInstrumentation } from '../../dist/cjs/index.js';
import { registerTracing } from '../helpers/otel-sdk';
import { createTestServer } from '../helpers/server';
import { delay } from '../helpers/wait';

const spans = new InMemorySpanExporter();
registerTracing([new SimpleSpanProcessor({ exporter: spans })]);
metrics.setGlobalMeterProvider(new MeterProvider());
const instrumentation = new McpInstrumentation({ enabled: false, captureToolArguments: true, captureToolResults: true, capturePromptArguments: true });
instrumentation.instrument(serverModule);

/** Mulberry32: a small seeded PRNG so both runs see the same messages. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let i = 0; i < depth; i++) value = i % 2 ? { [`k${i}`]: value } : [value];
  return value;
}

function messages(seed: number, count: number): string[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const ids: unknown[] = [1, 0, -1, 2 ** 53, 1.5, 'a', '', 'x'.repeat(300), null, true, {}, [], undefined];
  const metas: unknown[] = [
    undefined, 'string', 42, null, [], [1, 2],
    { traceparent: 'garbage' },
    { traceparent: `00-${'f'.repeat(32)}-${'0'.repeat(16)}-01` },
    { traceparent: `00-${'a'.repeat(9000)}-b7ad6b7169203331-01` },
    { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', baggage: 'k=v;'.repeat(2000) },
    { baggage: '%%%,,,==' },
    { tracestate: ['a', 'b'], traceparent: { x: 1 } },
    { progressToken: { nested: true } },
  ];
  const methods = [
    'tools/call', 'tools/list', 'resources/read', 'prompts/get', 'ping', 'completion/complete', 'logging/setLevel',
    'resources/subscribe', 'vendor/unknown', '', 'x'.repeat(1000), 'notifications/cancelled', 'notifications/initialized',
    'notifications/unknown', 'initialize',
  ];
  const toolNames: unknown[] = ['echo', 'add', 'throws', 'soft-fail', 'nope', '', 42, null, 'x'.repeat(5000)];
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = rnd();
    if (r < 0.05) {
      out.push(pick(['{', 'not json', '[]', '{"jsonrpc":"2.0"', '"just a string"', '{"jsonrpc":"1.0","id":1,"method":"ping"}', '[{"jsonrpc":"2.0","id":5,"method":"ping"}]']));
      continue;
    }
    const method = pick(methods);
    const meta = pick(metas);
    const params: Record<string, unknown> = {};
    if (meta !== undefined) params._meta = meta;
    switch (method) {
      case 'tools/call':
        params.name = pick(toolNames);
        params.arguments = pick([{ text: 'hi' }, { a: 1, b: 2 }, { a: 'x' }, 'not an object', nested(Math.floor(rnd() * 60)), { big: 'y'.repeat(Math.floor(rnd() * 100_000)) }, undefined]);
        break;
      case 'resources/read':
      case 'resources/subscribe':
        params.uri = pick(['file:///readme.md', 'users://7', 'nope://', 42, 'z'.repeat(10_000)]);
        break;
      case 'prompts/get':
        params.name = pick(['greet', 'missing', 7]);
        params.arguments = pick([{ name: 'alice' }, { name: 5 }, 'x', undefined]);
        break;
      case 'notifications/cancelled':
        params.requestId = pick(ids);
        params.reason = 'fuzz';
        break;
      case 'initialize':
        params.protocolVersion = pick(['2025-06-18', '1999-01-01', 7]);
        params.capabilities = pick([{}, null, 'x']);
        params.clientInfo = pick([{ name: 'fuzz', version: '1' }, { name: 'x'.repeat(2000) }, null]);
        break;
      case 'logging/setLevel':
        params.level = pick(['debug', 'nonsense']);
        break;
    }
    const message: Record<string, unknown> = { jsonrpc: '2.0', method };
    if (!method.startsWith('notifications/') || rnd() < 0.1) {
      // Mostly unique ids (so most requests are answered), the rest from the hostile pool (duplicates, bad types).
      const id = rnd() < 0.7 ? 1000 + i : pick(ids);
      if (id !== undefined) message.id = id;
    }
    if (rnd() < 0.9) message.params = params;
    else message.params = pick([null, 'params', 1, []]);
    out.push(JSON.stringify(message));
  }
  return out;
}

/** Feeds the lines to a fresh server over stdio and returns what it wrote back, sorted (handlers may finish out of order). */
async function run(lines: string[]): Promise<string[]> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (c: Buffer) => chunks.push(c));
  const server = createTestServer({ release: Promise.resolve() });
  const transport = new StdioServerTransport(stdin, stdout, { maxBufferSize: 64 * 1024 * 1024 });
  transport.onerror = () => {}; // malformed lines are reported here, by the SDK, in both runs
  await server.connect(transport);
  for (const line of lines) stdin.write(`${line}\n`);
  // Wait until the output has been quiet for a while: every handler has answered.
  let last = -1;
  while (chunks.length !== last) {
    last = chunks.length;
    await delay(400);
  }
  await server.close();
  return Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).sort();
}

describe('fuzzed input, with and without mcp-otel', () => {
  it('produces byte-identical responses and never throws', { timeout: 120_000 }, async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    process.on('unhandledRejection', onError);
    try {
      for (const seed of [1, 2, 3]) {
        const lines = messages(seed, 1200);
        instrumentation.disable();
        const without = await run(lines);
        instrumentation.enable();
        spans.reset();
        const withOtel = await run(lines);
        expect(withOtel.length).toBeGreaterThan(300);
        expect(withOtel).toEqual(without);
        expect(spans.getFinishedSpans().length).toBeGreaterThan(300);
      }
      for (const span of spans.getFinishedSpans()) {
        for (const value of Object.values(span.attributes)) {
          if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(4096 + 1);
        }
        expect(span.name.length).toBeLessThanOrEqual(256 * 2 + 1);
      }
    } finally {
      process.off('uncaughtException', onError);
      process.off('unhandledRejection', onError);
    }
    expect(errors).toEqual([]);
  });
});
