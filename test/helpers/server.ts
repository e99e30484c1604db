/* A real McpServer exercising every method the SDK serves, and ways to connect a real Client to it. */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createRequire } from 'node:module';
import { z } from 'zod';

const { registerTools } = createRequire(import.meta.url)('../fixtures/tools.cjs') as {
  registerTools(server: McpServer, zod: typeof z): void;
};

export interface TestServerOptions {
  /** Resolves the `slow` tool; without it `slow` waits until aborted. */
  release?: Promise<void>;
  /** Called when a `slow` call has started (so a test knows the request is in flight). */
  onSlowStarted?: () => void;
}

export function createTestServer(options: TestServerOptions = {}): McpServer {
  const server = new McpServer({ name: 'test-server', version: '1.0.0' }, { capabilities: { logging: {} } });
  registerTools(server, z); // echo, add, throws, active-span: the same tools as the fixture apps'
  server.registerTool('soft-fail', {}, async () => ({ isError: true, content: [{ type: 'text', text: 'nope' }] }));
  server.registerTool('slow', {}, async (extra) => {
    options.onSlowStarted?.();
    await new Promise<void>((resolve) => {
      extra.signal.addEventListener('abort', () => resolve());
      options.release?.then(resolve);
    });
    return { content: [{ type: 'text', text: 'done' }] };
  });
  server.registerResource('readme', 'file:///readme.md', { mimeType: 'text/markdown' }, async (uri) => ({
    contents: [{ uri: uri.href, text: '# readme' }],
  }));
  server.registerResource('user', new ResourceTemplate('users://{id}', { list: undefined }), {}, async (uri, { id }) => ({
    contents: [{ uri: uri.href, text: `user ${String(id)}` }],
  }));
  server.registerPrompt(
    'greet',
    { argsSchema: { name: completable(z.string(), (value) => ['alice', 'bob'].filter((n) => n.startsWith(value))) } },
    ({ name }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `Hello ${name}` } }] }),
  );
  return server;
}

export interface Connected {
  server: McpServer;
  client: Client;
  close(): Promise<void>;
}

/** A real Client connected to a real McpServer over the in-memory transport. */
export async function connectInMemory(
  server: McpServer = createTestServer(),
  clientInfo = { name: 'test-client', version: '2.0.0' },
  clientOptions: ConstructorParameters<typeof Client>[1] = { capabilities: { roots: { listChanged: true } } },
): Promise<Connected> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client(clientInfo, clientOptions);
  await client.connect(clientTransport);
  return {
    server,
    client,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}
