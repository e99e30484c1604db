import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectInMemory } from '../helpers/server';
import { finishedSpans, instrument, resetTelemetry, spanNamed } from '../helpers/telemetry';

describe('smoke', () => {
  beforeAll(async () => {
    await instrument();
  });
  beforeEach(resetTelemetry);

  it('traces a tool call', async () => {
    const { client, close } = await connectInMemory();
    await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
    const span = spanNamed(await finishedSpans(3), 'tools/call echo');
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes['gen_ai.tool.name']).toBe('echo');
    await close();
  });
});
