/*
 * The server's own requests to its client while it handles a call — sampling/createMessage, elicitation/create,
 * roots/list and ping — as CLIENT spans on the server: children of the span of the tools/call that caused them,
 * with the session's attributes, ended by the client's answer (or its error, or the connection closing), and
 * measured in mcp.client.operation.duration. A real Client that answers them, and one that refuses.
 */
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ErrorCode, ListRootsRequestSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import * as clientV2 from '@modelcontextprotocol/client';
import * as serverV2 from '@modelcontextprotocol/server';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { finishedSpans, histogramPoints, instrument, parentOf, resetTelemetry, spansNamed } from '../helpers/telemetry';
import { waitUntil } from '../helpers/wait';

beforeAll(async () => {
  const instrumentation = await instrument({ client: true });
  instrumentation.instrument(serverV2);
});


/** A server whose tool `ask` asks its client for a sampling, an elicitation, its roots and a ping, and one whose `hang` waits for an answer. */
function askingServer(): McpServer {
  const server = new McpServer({ name: 'asking', version: '1.0.0' });
  server.registerTool('ask', {}, async () => {
    const sampled = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi?' } }], maxTokens: 10 }).then(
      (r) => (r.content as { text?: string }).text,
      (err: Error) => `refused: ${err.message}`,
    );
    const elicited = await server.server
      .elicitInput({ message: 'name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } })
      .then((r) => r.action, (err: Error) => `refused: ${err.message}`);
    const roots = await server.server.listRoots().then((r) => r.roots.length, () => -1);
    await server.server.ping();
    return { content: [{ type: 'text', text: `${sampled} ${elicited} ${roots}` }] };
  });
  server.registerTool('hang', {}, async () => {
    await server.server.listRoots().catch(() => undefined);
    return { content: [] };
  });
  return server;
}

async function connect(server: McpServer, answer: 'answers' | 'refuses' | 'never'): Promise<{ client: Client; close(): Promise<void>; rootsAsked(): boolean }> {
  let asked = false;
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'answering-client', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {}, roots: {} } });
  const refuse = () => {
    throw new McpError(ErrorCode.InvalidRequest, 'the user declined');
  };
  client.setRequestHandler(CreateMessageRequestSchema, async () =>
    answer === 'refuses' ? refuse() : { model: 'test-model', role: 'assistant', content: { type: 'text', text: 'sampled' } },
  );
  client.setRequestHandler(ElicitRequestSchema, async () => (answer === 'refuses' ? refuse() : { action: 'accept', content: { name: 'Ada' } }));
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    asked = true;
    if (answer === 'never') await new Promise(() => {});
    return { roots: [{ uri: 'file:///work', name: 'work' }] };
  });
  await client.connect(b);
  return { client, close: async () => { await client.close(); await server.close(); }, rootsAsked: () => asked };
}

describe("the server's own requests to its client", () => {
  let conn: Awaited<ReturnType<typeof connect>> | undefined;
  afterEach(async () => {
    await conn?.close();
    conn = undefined;
  });

  it('become CLIENT spans on the server, children of the tools/call that sent them, with the session attributes', async () => {
    conn = await connect(askingServer(), 'answers');
    resetTelemetry();
    const result = await conn.client.callTool({ name: 'ask', arguments: {} });
    expect((result.content as Array<{ text: string }>)[0].text).toBe('sampled accept 1');
    const spans = await finishedSpans();
    const call = spansNamed(spans, 'tools/call ask', SpanKind.SERVER);
    expect(call).toHaveLength(1);
    for (const method of ['sampling/createMessage', 'elicitation/create', 'roots/list', 'ping']) {
      const sent = spansNamed(spans, method, SpanKind.CLIENT);
      expect(sent.map((s) => s.name), method).toEqual([method]);
      expect(parentOf(sent[0]), `${method} is a child of the tool call`).toBe(call[0].spanContext().spanId);
      expect(sent[0].attributes).toMatchObject({
        'mcp.method.name': method,
        'mcp.session.id': call[0].attributes['mcp.session.id'],
        'mcp.client.name': 'answering-client',
        'mcp.protocol.version': '2025-11-25',
      });
      expect(typeof sent[0].attributes['jsonrpc.request.id']).toBe('string');
      expect(sent[0].status.code).toBe(SpanStatusCode.UNSET);
      // Each ends before the tool call does: the client answered. Compared by the order the spans ended in (the
      // exporter's, through a SimpleSpanProcessor), not by endTime: the SDK anchors each span's clock to Date.now()
      // at its start, so two spans' timestamps can disagree by up to a millisecond.
      expect(spans.indexOf(sent[0]), `${method} ends before the tool call`).toBeLessThan(spans.indexOf(call[0]));
    }
    const points = await histogramPoints('mcp.client.operation.duration');
    const sampling = points.find((p) => p.attributes['mcp.method.name'] === 'sampling/createMessage');
    expect(sampling?.value.count).toBeGreaterThanOrEqual(1);
    expect(sampling?.attributes['mcp.session.id']).toBeUndefined();
  });

  it('a client that refuses: the error code on the span, error.type set, status ERROR', async () => {
    conn = await connect(askingServer(), 'refuses');
    resetTelemetry();
    const result = await conn.client.callTool({ name: 'ask', arguments: {} });
    expect((result.content as Array<{ text: string }>)[0].text).toMatch(/^refused: .*declined refused: .*declined 1$/);
    const spans = await finishedSpans();
    for (const method of ['sampling/createMessage', 'elicitation/create']) {
      const [sent] = spansNamed(spans, method, SpanKind.CLIENT);
      expect(sent.attributes['rpc.response.status_code'], method).toBe(String(ErrorCode.InvalidRequest));
      expect(sent.attributes['error.type'], method).toBe(String(ErrorCode.InvalidRequest));
      expect(sent.status.code).toBe(SpanStatusCode.ERROR);
      expect(sent.status.message).toBe('the user declined');
    }
    expect(spansNamed(spans, 'roots/list', SpanKind.CLIENT)[0].attributes['error.type']).toBeUndefined();
  });

  it('a request the client never answers ends with connection_closed when the connection goes', async () => {
    conn = await connect(askingServer(), 'never');
    resetTelemetry();
    const call = conn.client.callTool({ name: 'hang', arguments: {} }).catch(() => undefined);
    await waitUntil(() => conn!.rootsAsked(), 5000, 'the server to ask for roots');
    await conn.close();
    conn = undefined;
    await call;
    const [sent] = spansNamed(await finishedSpans(), 'roots/list', SpanKind.CLIENT);
    expect(sent?.attributes['error.type']).toBe('connection_closed');
  });
});

describe("the server's own requests with SDK 2.x (@modelcontextprotocol/server and client)", () => {
  /** The v2 twin of askingServer: its tool asks the client for a sampling and an elicitation. */
  async function connectV2(answer: 'answers' | 'refuses') {
    const server = new serverV2.McpServer({ name: 'asking-v2', version: '1.0.0' });
    server.registerTool('ask', {}, async () => {
      const sampled = await server.server.createMessage({ messages: [{ role: 'user', content: { type: 'text', text: 'hi?' } }], maxTokens: 10 }).then(
        (r) => (r.content as { text?: string }).text,
        (err: Error) => `refused: ${err.message}`,
      );
      const elicited = await server.server
        .elicitInput({ message: 'name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } })
        .then((r) => r.action, (err: Error) => `refused: ${err.message}`);
      return { content: [{ type: 'text', text: `${sampled} ${elicited}` }] };
    });
    const [a, b] = serverV2.InMemoryTransport.createLinkedPair();
    await server.connect(a);
    const client = new clientV2.Client({ name: 'answering-v2', version: '2.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
    const refuse = () => {
      throw new clientV2.ProtocolError(clientV2.ProtocolErrorCode.InvalidRequest, 'the user declined');
    };
    client.setRequestHandler('sampling/createMessage', async () =>
      answer === 'refuses' ? refuse() : { model: 'test-model', role: 'assistant' as const, content: { type: 'text' as const, text: 'sampled' } },
    );
    client.setRequestHandler('elicitation/create', async () => (answer === 'refuses' ? refuse() : { action: 'accept' as const, content: { name: 'Ada' } }));
    await client.connect(b);
    return { client, close: async () => { await client.close(); await server.close(); } };
  }

  it('become CLIENT spans, children of the tools/call; a refusal is an error with its code', async () => {
    for (const answer of ['answers', 'refuses'] as const) {
      const conn = await connectV2(answer);
      resetTelemetry();
      try {
        const result = await conn.client.callTool({ name: 'ask', arguments: {} });
        const text = (result.content as Array<{ text: string }>)[0].text;
        if (answer === 'answers') expect(text).toBe('sampled accept');
        else expect(text).toMatch(/^refused: .*declined refused: .*declined$/);
        const spans = await finishedSpans();
        const [call] = spansNamed(spans, 'tools/call ask', SpanKind.SERVER);
        expect(call, answer).toBeDefined();
        for (const method of ['sampling/createMessage', 'elicitation/create']) {
          const sent = spansNamed(spans, method, SpanKind.CLIENT);
          expect(sent.map((s) => s.name), `${answer} ${method}`).toEqual([method]);
          expect(parentOf(sent[0])).toBe(call.spanContext().spanId);
          expect(sent[0].attributes).toMatchObject({ 'mcp.method.name': method, 'mcp.client.name': 'answering-v2', 'mcp.session.id': call.attributes['mcp.session.id'] });
          expect(sent[0].attributes['error.type'], `${answer} ${method}`).toBe(answer === 'answers' ? undefined : String(clientV2.ProtocolErrorCode.InvalidRequest));
          expect(sent[0].status.code).toBe(answer === 'answers' ? SpanStatusCode.UNSET : SpanStatusCode.ERROR);
        }
      } finally {
        await conn.close();
      }
    }
  });
});
