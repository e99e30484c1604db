/*
 * Session start and end as OpenTelemetry log events, through a real global
 * LoggerProvider (registered before the instrumentation exists, as NodeSDK does
 * for register()).
 */
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { registerLoggerProvider } from '../helpers/otel-sdk';
import { connectInMemory, createTestServer } from '../helpers/server';
import { instrument } from '../helpers/telemetry';

const exporter = new InMemoryLogRecordExporter();
registerLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter })] }));

describe('session events', () => {
  it('emits mcp.session.start and mcp.session.end with the session facts', async () => {
    await instrument({ trackingSecret: 'events' });
    const conn = await connectInMemory(createTestServer(), { name: 'claude-code', version: '2.1.0' });
    await conn.client.callTool({ name: 'throws', arguments: {} });
    await conn.client.callTool({ name: 'echo', arguments: { text: 'x' } });
    await conn.close();

    const records = exporter.getFinishedLogRecords();
    expect(records.map((r) => r.eventName)).toEqual(['mcp.session.start', 'mcp.session.end']);
    const [start, end] = records;
    expect(start.attributes).toMatchObject({
      'mcp.client.name': 'claude-code',
      'mcp.client.version': '2.1.0',
      'mcp.client.type': 'claude_code',
      'mcp.client.returning': false,
      'mcp.protocol.version': '2025-11-25',
      'mcp.client.capabilities': ['roots'],
    });
    expect(start.attributes['mcp.session.id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(start.attributes['mcp.client.tracking_id']).toMatch(/^[0-9a-f]{16}$/);
    expect(start.attributes['mcp.session.disconnect_reason']).toBeUndefined();
    expect(end.attributes).toMatchObject({
      'mcp.session.id': start.attributes['mcp.session.id'],
      'mcp.session.disconnect_reason': 'client_disconnect',
      'mcp.session.request_count': 4, // initialize, notifications/initialized, two tools/call
      'mcp.session.error_count': 1,
    });
    expect(end.attributes['mcp.session.duration']).toBeGreaterThanOrEqual(0);
    expect(end.severityText).toBe('INFO');
  });

  it('sessionEvents: false emits none', async () => {
    exporter.reset();
    await instrument({ sessionEvents: false });
    const conn = await connectInMemory();
    await conn.close();
    expect(exporter.getFinishedLogRecords()).toEqual([]);
  });
});
