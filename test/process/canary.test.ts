/*
 * A secret placed everywhere a client or server can put it (tool arguments
 * and results, prompt arguments, resource contents, HTTP headers including
 * Authorization, the bearer token, the OAuth client secret and subject, the
 * server process's own command-line arguments) never
 * appears in any exported OTLP byte under the default configuration, and only
 * in redacted form when capture is on. Real child process, real exporters
 * (protobuf and JSON), real receiver on 127.0.0.1.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver } from '../helpers/otlp-receiver';
import type { OtlpReceiver } from '../helpers/otlp-receiver';

const CANARY = 'cnry7Q2xK9vLmP4wZ8rT';
const root = path.join(__dirname, '..', '..');
let child: ChildProcess | undefined;
let receiver: OtlpReceiver | undefined;

afterEach(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = undefined;
  await receiver?.close();
});

async function exercise(mode: 'default' | 'capture' | 'detectors', protocol: 'http/protobuf' | 'http/json'): Promise<Buffer[]> {
  receiver = await startOtlpReceiver({ keepBodies: true });
  // MCP servers take secrets as arguments (database URLs, API keys): the process detector would export them all.
  const args = [path.join(root, 'test/fixtures/canary-http-server.mjs'), `--api-key=${CANARY}`, `postgresql://app:${CANARY}@db.internal/app`];
  child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? '',
      CANARY,
      MODE: mode,
      OTEL_SERVICE_NAME: 'canary',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_METRIC_EXPORT_INTERVAL: '60000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start')), 10_000);
    child!.stdout!.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
  });
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${CANARY}`, 'X-Api-Key': CANARY, 'User-Agent': 'canary-agent' } },
  });
  const client = new Client({ name: 'canary-client', version: '1' });
  await client.connect(transport);
  await client.callTool({ name: 'echo', arguments: { text: CANARY, password: CANARY } });
  expect((await client.callTool({ name: 'leak', arguments: {} })).content).toEqual([{ type: 'text', text: `the secret is ${CANARY}` }]);
  await client.readResource({ uri: 'secret://doc' });
  await client.getPrompt({ name: 'p', arguments: { name: CANARY } });
  await client.close();
  child.kill('SIGTERM'); // register flushes everything on SIGTERM
  await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
  const bodies = receiver.bodies();
  expect(receiver.errors()).toEqual([]);
  expect(receiver.spans().some((s) => s.name === 'tools/call echo')).toBe(true);
  expect(receiver.metrics().some((m) => m.name === 'mcp.server.operation.duration')).toBe(true);
  return bodies;
}

const contains = (bodies: Buffer[], text: string) => bodies.some((b) => b.includes(Buffer.from(text, 'utf8')));

describe('privacy canary', () => {
  for (const protocol of ['http/protobuf', 'http/json'] as const) {
    it(`default configuration exports no secret (${protocol})`, { timeout: 30_000 }, async () => {
      const bodies = await exercise('default', protocol);
      expect(bodies.length).toBeGreaterThan(0);
      expect(contains(bodies, CANARY)).toBe(false);
      expect(contains(bodies, 'canary-agent')).toBe(false); // no headers at all by default
      // The process detector still runs: all it finds but the arguments.
      const { resource } = receiver!.spans().find((s) => s.name === 'tools/call echo')!;
      expect(resource['process.pid']).toBe(child!.pid);
      expect(String(resource['process.command'])).toMatch(/canary-http-server\.mjs$/);
      expect(resource['process.command_args']).toBeUndefined();
    });
  }

  it("the application's own resource detectors report what they find, arguments included", { timeout: 30_000 }, async () => {
    const bodies = await exercise('detectors', 'http/protobuf');
    const { resource } = receiver!.spans().find((s) => s.name === 'tools/call echo')!;
    expect(resource['process.command_args']).toContain(`--api-key=${CANARY}`);
    expect(contains(bodies, CANARY)).toBe(true); // the negative control: the canary is findable where it is exported
  });

  it('with every capture option on, secrets appear only redacted; Authorization and the token never', { timeout: 30_000 }, async () => {
    const bodies = await exercise('capture', 'http/protobuf');
    expect(contains(bodies, CANARY)).toBe(false);
    expect(contains(bodies, '[canary]')).toBe(true); // captured, through the redact hook
    expect(contains(bodies, '[REDACTED]')).toBe(true); // the password key, masked before the hook
    expect(contains(bodies, 'canary-agent')).toBe(true); // an allowed header was captured
    const echo = receiver!.spans().find((s) => s.name === 'tools/call echo')!;
    expect(echo.attributes['http.request.header.authorization']).toBeUndefined();
    expect(echo.attributes['http.request.header.x-api-key']).toEqual(['[canary]']);
    expect(String(echo.attributes['client.address'])).toMatch(/^[0-9a-f]{16}$/);
  });
});
