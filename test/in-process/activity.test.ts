import { describe, expect, it } from 'vitest';
import { InMemoryActivityStore, registerActivityTool } from '../../dist/cjs/index.js';
import type { ClientActivity, ClientActivityStore } from '../../dist/cjs/index.js';
import { connectInMemory, createTestServer } from '../helpers/server';
import { instrument } from '../helpers/telemetry';
import { settle } from '../helpers/wait';

const at = (timestamp: number, over: Partial<ClientActivity> = {}): ClientActivity => ({
  timestamp,
  type: 'request',
  method: 'tools/call',
  toolName: 'echo',
  status: 'success',
  ...over,
});

describe('InMemoryActivityStore', () => {
  it('keeps at most maxActivitiesPerClient, newest first, while totals keep counting', () => {
    const store = new InMemoryActivityStore({ maxActivitiesPerClient: 3 });
    for (let i = 1; i <= 5; i++) store.record('a', at(i * 1000, i === 2 ? { status: 'error', errorType: 'tool_error' } : {}));
    expect(store.list('a').map((x) => x.timestamp)).toEqual([5000, 4000, 3000]);
    expect(store.stats('a')).toMatchObject({ totalActivities: 5, successCount: 4, errorCount: 1, firstActivity: 1000, lastActivity: 5000, byMethod: { 'tools/call': 5 }, byTool: { echo: 5 } });
  });

  it('evicts the least recently active client past maxClients', () => {
    const store = new InMemoryActivityStore({ maxClients: 2 });
    store.record('a', at(1));
    store.record('b', at(2));
    store.record('a', at(3));
    store.record('c', at(4));
    expect(store.size).toBe(2);
    expect(store.stats('b')).toBeUndefined();
    expect(store.list('a')).toHaveLength(2);
  });

  it('filters by time, type, status and method, with a limit', () => {
    const store = new InMemoryActivityStore();
    store.record('a', at(1000, { method: 'tools/list', toolName: undefined }));
    store.record('a', at(2000, { status: 'error' }));
    store.record('a', at(3000, { type: 'notification', method: 'notifications/initialized', toolName: undefined }));
    store.record('a', at(4000));
    expect(store.list('a', { since: 2000, until: 3500 }).map((x) => x.timestamp)).toEqual([3000, 2000]);
    expect(store.list('a', { type: 'notification' })).toHaveLength(1);
    expect(store.list('a', { status: 'error' }).map((x) => x.timestamp)).toEqual([2000]);
    expect(store.list('a', { method: 'tools/call', limit: 1 }).map((x) => x.timestamp)).toEqual([4000]);
    expect(store.list('nobody')).toEqual([]);
  });

  it('computes the average hourly rate between first and last activity', () => {
    const store = new InMemoryActivityStore();
    for (let i = 0; i <= 10; i++) store.record('a', at(i * 360_000)); // 11 activities over one hour
    expect(store.stats('a')!.averageHourlyRate).toBeCloseTo(11, 5);
  });

  it('bounds the per-tool breakdown so random tool names cannot grow it', () => {
    const store = new InMemoryActivityStore();
    for (let i = 0; i < 500; i++) store.record('a', at(i, { toolName: `tool-${i}` }));
    const byTool = store.stats('a')!.byTool;
    expect(Object.keys(byTool).length).toBeLessThanOrEqual(101);
    expect(byTool._OTHER).toBe(400);
  });
});

describe('the instrumentation feeds the activity store', () => {
  it('records each finished request under the client tracking ID, with errors', async () => {
    const store = new InMemoryActivityStore();
    await instrument({ activityStore: store, trackingSecret: 'feed' });
    const conn = await connectInMemory(createTestServer(), { name: 'feeder', version: '1' });
    await conn.client.callTool({ name: 'echo', arguments: { text: 'a' } });
    await conn.client.callTool({ name: 'throws', arguments: {} });
    await settle();
    const [id] = [...(store as unknown as { clients: Map<string, unknown> }).clients.keys()];
    const stats = store.stats(id)!;
    expect(stats).toMatchObject({ successCount: 3, errorCount: 1, byTool: { echo: 1, throws: 1 } });
    expect(stats.byMethod).toEqual({ initialize: 1, 'notifications/initialized': 1, 'tools/call': 2 });
    const [latest] = store.list(id, { limit: 1 });
    expect(latest).toMatchObject({ method: 'tools/call', toolName: 'throws', status: 'error', errorType: 'tool_error' });
    expect(latest.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await conn.close();
  });

  it('a store that throws or rejects is logged and changes nothing', async () => {
    const broken: ClientActivityStore = {
      record: () => {
        throw new Error('db down');
      },
      list: async () => Promise.reject(new Error('db down')),
      stats: () => undefined,
    };
    await instrument({ activityStore: broken });
    const conn = await connectInMemory();
    expect((await conn.client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content).toEqual([{ type: 'text', text: '3' }]);
    await instrument({ activityStore: { ...broken, record: async () => Promise.reject(new Error('later')) } });
    expect((await conn.client.callTool({ name: 'add', arguments: { a: 2, b: 2 } })).content).toEqual([{ type: 'text', text: '4' }]);
    await conn.close();
  });
});

describe('registerActivityTool', () => {
  function parse(result: unknown): { trackingId: string; stats: { totalActivities: number }; recent: ClientActivity[] } {
    return JSON.parse((result as { content: Array<{ text: string }> }).content[0].text);
  }

  it('shows a client its own activity only, whatever arguments it forges', async () => {
    const store = new InMemoryActivityStore();
    await instrument({ activityStore: store, trackingSecret: 'tool' });
    const server = () => {
      const s = createTestServer();
      registerActivityTool(s);
      return s;
    };
    const alice = await connectInMemory(server(), { name: 'alice-client', version: '1' });
    const bob = await connectInMemory(server(), { name: 'bob-client', version: '1' });
    await alice.client.callTool({ name: 'echo', arguments: { text: 'a' } });
    await bob.client.callTool({ name: 'add', arguments: { a: 1, b: 1 } });
    await bob.client.callTool({ name: 'add', arguments: { a: 2, b: 1 } });
    await settle();

    const bobView = parse(await bob.client.callTool({ name: 'my_activity', arguments: {} }));
    const aliceView = parse(await alice.client.callTool({ name: 'my_activity', arguments: { trackingId: bobView.trackingId, sessionId: 'x' } as never }));
    expect(aliceView.trackingId).not.toBe(bobView.trackingId);
    expect(aliceView.recent.every((a) => a.toolName !== 'add')).toBe(true);
    expect(aliceView.recent.some((a) => a.toolName === 'echo')).toBe(true);
    expect(bobView.recent.filter((a) => a.toolName === 'add')).toHaveLength(2);
    expect(bobView.recent.some((a) => a.toolName === 'echo')).toBe(false);
    await alice.close();
    await bob.close();
  });

  it('reports an error when activity is not recorded', async () => {
    await instrument({ activityStore: false });
    const s = createTestServer();
    registerActivityTool(s, { name: 'activity' });
    const conn = await connectInMemory(s);
    const result = await conn.client.callTool({ name: 'activity', arguments: {} });
    expect(result.isError).toBe(true);
    await conn.close();
  });
});
