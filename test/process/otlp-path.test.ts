/*
 * The path users take, end to end: a Streamable HTTP server (express or node:http, ESM or CommonJS) started
 * exactly as README says — `node --import mcp-otel/register` or `node --require mcp-otel/register` — exporting
 * with the default OTLP exporter (http/protobuf) to a receiver on 127.0.0.1, driven by a real SDK Client from
 * the very first request. What arrives there is what a Collector would get.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connectHttpClient, killAllHttpChildren, startHttpChild, stopHttpChild } from '../helpers/http-child';
import type { HttpChild } from '../helpers/http-child';
import { exportEnv, OTLP_SPAN_KIND, startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver, ReceivedSpan } from '../helpers/otlp-receiver';

const TEST_TIMEOUT = 40_000;
const WAIT = 15_000;
const HTTP_SCOPE = '@opentelemetry/instrumentation-http';
const MCP_SCOPE = 'mcp-otel';

interface Server {
  title: string;
  script: string;
  nodeArgs: string[];
  /** node:http example: listens on PORT and logs its URL. */
  example?: boolean;
}

const SERVERS: Server[] = [
  { title: 'ESM express server, node --import mcp-otel/register', script: 'test/fixtures/http-express.mjs', nodeArgs: ['--import', 'mcp-otel/register'] },
  { title: 'CommonJS express server, node --require mcp-otel/register', script: 'test/fixtures/http-express.cjs', nodeArgs: ['--require', 'mcp-otel/register'] },
  { title: 'ESM express server, node --require mcp-otel/register', script: 'test/fixtures/http-express.mjs', nodeArgs: ['--require', 'mcp-otel/register'] },
  { title: 'ESM node:http server (examples/server.mjs), node --import mcp-otel/register', script: 'examples/server.mjs', nodeArgs: ['--import', 'mcp-otel/register'], example: true },
];

const env = (receiver: OtlpReceiver, extra: Record<string, string> = {}) => exportEnv(receiver, { OTEL_SERVICE_NAME: 'otlp-path-test', ...extra });

async function start(server: Server, receiver: OtlpReceiver, extra: Record<string, string> = {}): Promise<HttpChild> {
  if (!server.example) return startHttpChild({ script: server.script, nodeArgs: server.nodeArgs, env: env(receiver, extra) });
  return startHttpChild({
    script: server.script,
    nodeArgs: server.nodeArgs,
    env: env(receiver, { PORT: '0', ...extra }), // the example picks its port and logs it
    listening: /MCP server on http:\/\/127\.0\.0\.1:(\d+)\/mcp/,
  });
}

const isHttpServerSpan = (s: ReceivedSpan) => s.scope.name === HTTP_SCOPE && s.kind === OTLP_SPAN_KIND.SERVER;
const isMcpSpan = (s: ReceivedSpan) => s.scope.name === MCP_SCOPE;

afterEach(async () => {
  await killAllHttpChildren();
});

/** service.instance.id of every run, to check that processes do not share one. */
const instanceIds: string[] = [];

describe.each(SERVERS)('$title', (server) => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await receiver.close();
  });

  it(
    'traces every HTTP request from the first one, each MCP span linked to its HTTP span; session events and service.instance.id arrive',
    async () => {
      const child = await start(server, receiver);
      // Straight after the server listens: the first requests are the ones that used to go untraced.
      const first = await connectHttpClient(child.url, 'first-client');
      await first.client.listTools();
      await first.client.callTool({ name: 'echo', arguments: { text: 'one' } });
      await first.transport.terminateSession(); // DELETE: the client ends its session
      await first.client.close();
      const second = await connectHttpClient(child.url, 'second-client');
      await second.client.listTools();
      const exit = await stopHttpChild(child); // SIGTERM: the server ends the second session
      await second.client.close().catch(() => undefined);
      expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);

      await receiver.waitFor(
        () => receiver.logs().filter((l) => l.eventName === 'mcp.session.end').length >= 2,
        WAIT,
        'two mcp.session.end log records',
      );
      const spans = receiver.spans();
      const mcp = spans.filter(isMcpSpan);
      const http = new Map(spans.filter(isHttpServerSpan).map((s) => [s.spanId, s]));
      const names = mcp.map((s) => s.name);
      expect(names).toEqual(expect.arrayContaining(['initialize', 'tools/list', 'tools/call echo']));
      expect(names.filter((n) => n === 'initialize')).toHaveLength(2);
      // MCP and transport context are independent (README): each MCP span links to the HTTP span that carried it.
      const linkedHttpSpan = (span: ReceivedSpan) => span.links.map((l) => http.get(l.spanId)).find((h) => h !== undefined);
      for (const span of mcp) {
        const carrier = linkedHttpSpan(span);
        expect(carrier, `${span.name} has no link to an HTTP server span`).toBeDefined();
        expect(carrier!.attributes['http.request.method']).toBe('POST');
      }
      // Private by default, HTTP spans too: no client address or port, no User-Agent.
      for (const span of http.values()) {
        for (const key of ['client.address', 'network.peer.address', 'network.peer.port', 'user_agent.original']) {
          expect(span.attributes[key], `${span.name} ${key}`).toBeUndefined();
        }
      }
      // The very first MCP message of the process has its HTTP span.
      expect(linkedHttpSpan(mcp.find((s) => s.name === 'initialize')!)).toBeDefined();

      // One service.instance.id for everything the process sent, on every signal.
      const ids = new Set([...spans, ...receiver.metrics(), ...receiver.logs()].map((x) => x.resource['service.instance.id']));
      expect(ids.size).toBe(1);
      const [id] = ids;
      expect(typeof id === 'string' && id.length > 0).toBe(true);
      instanceIds.push(id as string);

      const starts = receiver.logs().filter((l) => l.eventName === 'mcp.session.start');
      const ends = receiver.logs().filter((l) => l.eventName === 'mcp.session.end');
      expect(starts.map((l) => l.attributes['mcp.client.name']).sort()).toEqual(['first-client', 'second-client']);
      const reasons = Object.fromEntries(ends.map((l) => [l.attributes['mcp.client.name'], l.attributes['mcp.session.disconnect_reason']]));
      expect(reasons).toEqual({ 'first-client': 'client_disconnect', 'second-client': 'server_shutdown' });
      for (const l of [...starts, ...ends]) {
        expect(l.scope.name).toBe(MCP_SCOPE);
        expect(typeof l.attributes['mcp.session.id']).toBe('string');
      }
      expect(receiver.errors()).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});

describe('service.instance.id', () => {
  it('differs between processes', () => {
    expect(instanceIds.length).toBe(SERVERS.length);
    expect(new Set(instanceIds).size).toBe(instanceIds.length);
  });

  it(
    'OTEL_RESOURCE_ATTRIBUTES overrides the generated one',
    async () => {
      const receiver = await startOtlpReceiver();
      try {
        const child = await start(SERVERS[1], receiver, { OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=replica-7,deployment.environment.name=test' });
        const { client } = await connectHttpClient(child.url);
        await client.listTools();
        await stopHttpChild(child);
        await client.close().catch(() => undefined);
        await receiver.waitFor(() => receiver.spans().some(isMcpSpan), WAIT, 'MCP spans');
        const resources = receiver.spans().map((s) => s.resource);
        expect(new Set(resources.map((r) => r['service.instance.id']))).toEqual(new Set(['replica-7']));
        expect(resources[0]['deployment.environment.name']).toBe('test');
        expect(resources[0]['service.name']).toBe('otlp-path-test');
      } finally {
        await receiver.close();
      }
    },
    TEST_TIMEOUT,
  );
});
