/* A real StdioServerTransport on in-process streams, driven with raw JSON-RPC lines (for stdin end and read errors). */
import { PassThrough } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

export interface RawStdio {
  stdin: PassThrough;
  transport: StdioServerTransport;
  /** Sends a message and resolves with the response that has its id. */
  request(message: Record<string, unknown>): Promise<Record<string, unknown>>;
  notify(message: Record<string, unknown>): void;
}

export async function connectRawStdio(server: McpServer, maxBufferSize?: number): Promise<RawStdio> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const transport = new StdioServerTransport(stdin, stdout, maxBufferSize ? { maxBufferSize } : undefined);
  await server.connect(transport);
  let buffered = '';
  const waiting = new Map<unknown, (m: Record<string, unknown>) => void>();
  stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const message = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
      buffered = buffered.slice(newline + 1);
      waiting.get(message.id)?.(message);
    }
  });
  return {
    stdin,
    transport,
    request: (message) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no response to ${String(message.id)}`)), 5000);
        waiting.set(message.id, (m) => {
          clearTimeout(timer);
          resolve(m);
        });
        stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
      }),
    notify: (message) => void stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`),
  };
}

export async function initializeRaw(raw: RawStdio, clientInfo = { name: 'raw-client', version: '1.0' }): Promise<void> {
  await raw.request({ id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: { sampling: {} }, clientInfo } });
  raw.notify({ method: 'notifications/initialized' });
}
