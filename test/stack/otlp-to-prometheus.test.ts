/*
 * The OTLP → Prometheus translation of test/helpers/otlp-to-prometheus.ts (what Prometheus 3's OTLP receiver
 * stores), checked against cases of the Prometheus code it follows: otlptranslator v1.0.0 metric_namer_test.go /
 * label_namer_test.go, and prometheusremotewrite helper.go / metrics_to_prw.go for labels and target_info. The end
 * to end use (real exports from the example server, a real Prometheus) is in e2e-prometheus.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  OtlpToPrometheus,
  attributeString,
  formatBound,
  otlpSettingsFromConfig,
  prometheusLabelName,
  prometheusMetricName,
} from '../helpers/otlp-to-prometheus';
import type { OtelMetricType } from '../helpers/otlp-to-prometheus';

const config = parse(readFileSync(join(__dirname, '..', '..', 'grafana', 'prometheus', 'prometheus.yml'), 'utf8'));

describe('metric names (UnderscoreEscapingWithSuffixes)', () => {
  const cases: Array<[string, string, OtelMetricType, string]> = [
    // otlptranslator metric_namer_test.go
    ['cpu_usage', '1', 'gauge', 'cpu_usage_ratio'],
    ['items', '1', 'monotonic_counter', 'items_total'],
    ['response_time', 'ms', 'gauge', 'response_time_milliseconds'],
    ['memory_usage', 'By', 'gauge', 'memory_usage_bytes'],
    ['throughput', 'By/s', 'gauge', 'throughput_bytes_per_second'],
    ['custom_metric', 'custom_unit', 'gauge', 'custom_metric_custom_unit'],
    ['custom_metric', '{custom}', 'gauge', 'custom_metric'],
    ['custom_metric', 'By/{custom}', 'gauge', 'custom_metric_bytes'],
    ['requests_total', '', 'monotonic_counter', 'requests_total'],
    ['cpu_usage_ratio', '1', 'gauge', 'cpu_usage_ratio'],
    ['response_time_seconds', 's', 'gauge', 'response_time_seconds'],
    ['metric__with__multiple__underscores', 'unit__multiple__underscores', 'gauge', 'metric_with_multiple_underscores_unit_multiple_underscores'],
    ['custom_metric', 'unit@with#special/chars', 'gauge', 'custom_metric_unit_with_special_per_chars'],
    ['request_duration', 's', 'histogram', 'request_duration_seconds'],
    ['request_size', 'By', 'exponential_histogram', 'request_size_bytes'],
    ['123_requests', '', 'monotonic_counter', '_123_requests_total'],
    // The MCP instruments (stack.md §2.2).
    ['mcp.server.operation.duration', 's', 'histogram', 'mcp_server_operation_duration_seconds'],
    ['mcp.server.session.active', '{session}', 'non_monotonic_counter', 'mcp_server_session_active'],
    ['mcp.server.session.started', '{session}', 'monotonic_counter', 'mcp_server_session_started_total'],
    ['mcp.server.response.size', 'By', 'monotonic_counter', 'mcp_server_response_size_bytes_total'],
    ['http.server.request.duration', 's', 'histogram', 'http_server_request_duration_seconds'],
  ];
  it.each(cases)('%s [%s] %s → %s', (name, unit, type, want) => {
    expect(prometheusMetricName(name, unit, type)).toBe(want);
  });

  it('rejects names that normalise to nothing', () => {
    expect(() => prometheusMetricName('@#$%', '', 'gauge')).toThrow(/invalid name ""/);
  });
});

describe('label names and values', () => {
  it('sanitises like the LabelNamer (underscore sanitisation and multiple underscores on, the defaults)', () => {
    expect(prometheusLabelName('mcp.method.name')).toBe('mcp_method_name');
    expect(prometheusLabelName('a..b')).toBe('a__b');
    expect(prometheusLabelName('0abc')).toBe('key_0abc');
    expect(prometheusLabelName('_abc')).toBe('key_abc');
    expect(prometheusLabelName('__abc__')).toBe('__abc__');
    expect(prometheusLabelName('a..b', { labelNameUnderscoreSanitization: true, labelNamePreserveMultipleUnderscores: false })).toBe('a_b');
    expect(() => prometheusLabelName('...')).toThrow(/invalid name "___"/);
  });

  it('prints attribute values as pcommon Value.AsString', () => {
    expect(attributeString({ stringValue: 'x' })).toBe('x');
    expect(attributeString({ intValue: '9007199254740993' })).toBe('9007199254740993');
    expect(attributeString({ doubleValue: 1.5 })).toBe('1.5');
    expect(attributeString({ boolValue: false })).toBe('false');
    expect(attributeString({ arrayValue: { values: [{ stringValue: 'a<b' }, { intValue: '1' }] } })).toBe('["a\\u003cb",1]');
    expect(attributeString({ kvlistValue: { values: [{ key: 'b', value: { intValue: '2' } }, { key: 'a', value: { boolValue: true } }] } })).toBe('{"a":true,"b":2}');
    expect(attributeString({ bytesValue: Buffer.from('hi') })).toBe('aGk=');
  });

  it('formats bucket bounds as strconv.FormatFloat(b, \'f\', -1, 64)', () => {
    expect([0.005, 1, 2.5, 10, 1e-7, 1e21, -0.25, Infinity].map(formatBound)).toEqual(['0.005', '1', '2.5', '10', '0.0000001', '1000000000000000000000', '-0.25', '+Inf']);
  });
});

const kv = (key: string, value: string) => ({ key, value: { stringValue: value } });
/** An exposition line with the labels sorted. */
const line = (name: string, labels: Record<string, string>, value: number, ts: number) =>
  `${name}{${Object.keys(labels)
    .sort()
    .map((k) => `${k}="${labels[k]}"`)
    .join(',')}} ${value} ${ts}`;
const NS = 1_700_000_000_000n * 1_000_000n;

function request(resource: Array<ReturnType<typeof kv>>, temporality = 2) {
  return {
    resourceMetrics: [
      {
        resource: { attributes: resource },
        scopeMetrics: [
          {
            scope: { name: 'mcp-otel', version: '0.1.0' },
            metrics: [
              {
                name: 'mcp.server.session.started',
                unit: '{session}',
                description: 'Sessions started',
                sum: { aggregationTemporality: temporality, isMonotonic: true, dataPoints: [{ attributes: [kv('mcp.client.type', 'cursor'), kv('job', 'overridden')], timeUnixNano: String(NS), asInt: '3' }] },
              },
              {
                name: 'mcp.server.session.active',
                unit: '{session}',
                sum: { aggregationTemporality: 2, dataPoints: [{ attributes: [kv('a.b', 'x'), kv('a_b', 'y')], timeUnixNano: String(NS), asInt: '-1' }] },
              },
              {
                name: 'mcp.server.operation.duration',
                unit: 's',
                histogram: {
                  aggregationTemporality: 2,
                  dataPoints: [{ attributes: [kv('mcp.method.name', 'tools/call')], timeUnixNano: String(NS + 5_000_000n), count: '3', sum: 1.5, bucketCounts: ['1', '2', '0'], explicitBounds: [0.5, 1] }],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('OtlpToPrometheus', () => {
  const settings = otlpSettingsFromConfig(config.otlp);
  const resource = [kv('service.name', 'demo'), kv('service.namespace', 'mcp'), kv('service.instance.id', 'i-1'), kv('service.version', '1.0'), kv('host.name', 'h')];

  it('reads the otlp settings of grafana/prometheus/prometheus.yml and refuses what it does not emulate', () => {
    expect(settings.promoteResourceAttributes).toEqual(config.otlp.promote_resource_attributes);
    expect(settings.keepIdentifyingResourceAttributes).toBe(true);
    expect(() => otlpSettingsFromConfig({ translation_strategy: 'NoUTF8EscapingWithSuffixes' })).toThrow(/not emulated/);
    expect(() => otlpSettingsFromConfig({ promote_scope_metadata: true })).toThrow(/not emulated/);
    expect(() => otlpSettingsFromConfig({ some_new_option: 1 })).toThrow(/not emulated/);
  });

  it('labels series with job, instance and the promoted resource attributes, and writes target_info', () => {
    const t = new OtlpToPrometheus({ settings });
    t.ingest(request(resource));
    expect(t.errors()).toEqual([]);
    const ts = 1_700_000_000_000;
    const promoted = { service_instance_id: 'i-1', service_name: 'demo', service_namespace: 'mcp', service_version: '1.0' };
    const base = { ...promoted, job: 'mcp/demo', instance: 'i-1' };
    const op = { ...base, mcp_method_name: 'tools/call' };
    expect(t.exposition().split('\n')).toEqual([
      '# HELP mcp_server_session_started_total Sessions started',
      '# TYPE mcp_server_session_started_total counter',
      // A point attribute `job` loses against the resource's job.
      line('mcp_server_session_started_total', { ...base, mcp_client_type: 'cursor' }, 3, ts),
      '# TYPE mcp_server_session_active gauge',
      // a.b and a_b collide as a_b: values joined with ";" in key order.
      line('mcp_server_session_active', { ...base, a_b: 'x;y' }, -1, ts),
      // No # TYPE for histograms (see exposition()); le as the receiver formats it.
      line('mcp_server_operation_duration_seconds_sum', op, 1.5, ts + 5),
      line('mcp_server_operation_duration_seconds_count', op, 3, ts + 5),
      line('mcp_server_operation_duration_seconds_bucket', { ...op, le: '0.5' }, 1, ts + 5),
      line('mcp_server_operation_duration_seconds_bucket', { ...op, le: '1' }, 3, ts + 5),
      line('mcp_server_operation_duration_seconds_bucket', { ...op, le: '+Inf' }, 3, ts + 5),
      '# HELP target_info Target metadata',
      '# TYPE target_info gauge',
      // keep_identifying_resource_attributes: service.* stay; no promoted-attribute merge; the latest timestamp.
      line('target_info', { ...base, host_name: 'h' }, 1, ts + 5),
      '',
    ]);
  });

  it('without service.instance.id: no instance label anywhere', () => {
    const t = new OtlpToPrometheus({ settings, dropResourceAttributes: ['service.instance.id'] });
    t.ingest(request(resource));
    const text = t.exposition();
    expect(text).not.toMatch(/instance/);
    expect(text).toContain(`${line('target_info', { host_name: 'h', job: 'mcp/demo', service_name: 'demo', service_namespace: 'mcp', service_version: '1.0' }, 1, 1_700_000_000_005)}\n`);
  });

  it('without service.namespace the job is the service name; without other resource attributes no target_info', () => {
    const t = new OtlpToPrometheus({ settings: { ...settings, keepIdentifyingResourceAttributes: false, promoteResourceAttributes: [] } });
    t.ingest(request([kv('service.name', 'demo')]));
    expect(t.exposition()).toContain(`${line('mcp_server_session_started_total', { job: 'demo', mcp_client_type: 'cursor' }, 3, 1_700_000_000_000)}\n`);
    expect(t.exposition()).not.toContain('target_info');
  });

  it('rejects delta temporality (as without the delta feature flags) and keeps the newest point', () => {
    const t = new OtlpToPrometheus({ settings });
    t.ingest(request(resource, 1));
    expect(t.errors()).toEqual(['invalid temporality and type combination for metric "mcp.server.session.started"']);
    expect(t.seriesNames()).not.toContain('mcp_server_session_started_total');

    const u = new OtlpToPrometheus({ settings });
    const newer = request(resource);
    const older = request(resource);
    newer.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.dataPoints[0]!.asInt = '7';
    newer.resourceMetrics[0]!.scopeMetrics[0]!.metrics[0]!.sum!.dataPoints[0]!.timeUnixNano = String(NS + 1_000_000_000n);
    u.ingest(newer);
    u.ingest(older);
    expect(u.exposition()).toMatch(/mcp_server_session_started_total\{[^}]*\} 7 1700000001000/);
  });
});
