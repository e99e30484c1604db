/*
 * Clients choose tool names, method names, client names and credentials. Ten
 * thousand distinct values of each must not become ten thousand metric series:
 * every instrument stays within the configured caps. Raw JSON-RPC goes through
 * a real in-memory transport to a real McpServer (the SDK Client would refuse
 * to send some of these messages).
 */
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { createTestServer } from '../helpers/server';
import { collectMetrics, instrument } from '../helpers/telemetry';

const N = 10_000;
const MAX_VALUES = 20;
const MAX_CLIENTS = 10;

describe('metric cardinality under hostile input', () => {
  it('10,000 distinct tool names, methods, client names and tokens stay within the caps', { timeout: 60_000 }, async () => {
    await instrument({ maxMetricAttributeValues: MAX_VALUES, maxTrackedClients: MAX_CLIENTS, trackingSecret: 'card' });
    const [client, serverSide] = InMemoryTransport.createLinkedPair();
    await createTestServer().connect(serverSide);
    const pending = new Map<number, () => void>();
    client.onmessage = (message: JSONRPCMessage) => {
      const id = (message as { id?: number }).id;
      if (typeof id === 'number') pending.get(id)?.();
    };
    await client.start();
    let nextId = 1;
    const request = (method: string, params: Record<string, unknown>, token?: string) =>
      new Promise<void>((resolve) => {
        const id = nextId++;
        pending.set(id, () => {
          pending.delete(id);
          resolve();
        });
        void client.send({ jsonrpc: '2.0', id, method, params } as JSONRPCMessage, token ? { authInfo: { token, clientId: '', scopes: [] } } : undefined);
      });

    for (let i = 0; i < N; i++) {
      await request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: `client-${i}`, version: '1' } });
      await request('tools/call', { name: `tool-${i}`, arguments: {} }, `token-${i}`);
      await request(`vendor/method-${i}`, {});
    }

    const metrics = await collectMetrics();
    const byName = new Map(metrics.map((m) => [m.descriptor.name, m]));
    const distinct = (metric: string, attribute: string) => new Set(byName.get(metric)!.dataPoints.map((p) => p.attributes[attribute]));

    const tools = distinct('mcp.server.operation.duration', 'gen_ai.tool.name');
    expect(tools.size).toBeLessThanOrEqual(MAX_VALUES + 2); // the caps, _OTHER, and undefined (no tool)
    expect(tools.has('_OTHER')).toBe(true);
    const methods = [...distinct('mcp.server.operation.duration', 'mcp.method.name')].filter((m) => String(m).startsWith('vendor/'));
    expect(methods.length).toBeLessThanOrEqual(MAX_VALUES);
    expect(distinct('mcp.server.operation.duration', 'mcp.method.name').has('_OTHER')).toBe(true);

    const ids = distinct('mcp.server.client.operations', 'mcp.client.tracking_id');
    expect(ids.size).toBeLessThanOrEqual(MAX_CLIENTS + 1);
    expect(ids.has('_overflow')).toBe(true);

    for (const metric of metrics) {
      // Every instrument: far below one series per distinct input.
      expect(metric.dataPoints.length, metric.descriptor.name).toBeLessThan(200);
    }
    await client.close();
  });
});
