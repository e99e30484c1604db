/*
 * A real OTLP/HTTP receiver for tests: listens on 127.0.0.1 (random port) and
 * accepts POST /v1/traces, /v1/metrics and /v1/logs in both encodings the
 * OpenTelemetry exporters use: `application/x-protobuf` (the default,
 * `http/protobuf`) and `application/json` (`http/json`). Protobuf is decoded
 * with protobufjs against the OTLP message definitions below.
 */
import { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { withTimeout } from './wait';

/*
 * The parts of the OTLP protocol (opentelemetry-proto v1: common, resource,
 * trace, metrics, logs, collector services) that the receiver decodes. Field numbers
 * and types are the wire contract; fields the tests never read (events,
 * exemplars, exponential-histogram buckets) are declared anyway so that the
 * decoder understands every field the SDK may send.
 */
const OTLP_PROTO = `
syntax = "proto3";
package otlp;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message Span {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  bytes parent_span_id = 4;
  fixed32 flags = 16;
  string name = 5;
  int32 kind = 6;
  fixed64 start_time_unix_nano = 7;
  fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9;
  uint32 dropped_attributes_count = 10;
  repeated Event events = 11;
  uint32 dropped_events_count = 12;
  repeated Link links = 13;
  uint32 dropped_links_count = 14;
  Status status = 15;
}
message Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4; }
message Link {
  bytes trace_id = 1;
  bytes span_id = 2;
  string trace_state = 3;
  repeated KeyValue attributes = 4;
  uint32 dropped_attributes_count = 5;
  fixed32 flags = 6;
}
message Status { string message = 2; int32 code = 3; }

message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
message ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}

message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message Metric {
  string name = 1;
  string description = 2;
  string unit = 3;
  oneof data {
    Gauge gauge = 5;
    Sum sum = 7;
    Histogram histogram = 9;
    ExponentialHistogram exponential_histogram = 10;
    Summary summary = 11;
  }
  repeated KeyValue metadata = 12;
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message ExponentialHistogram { repeated ExponentialHistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message Summary { repeated SummaryDataPoint data_points = 1; }
message NumberDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
  repeated Exemplar exemplars = 5;
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  repeated fixed64 bucket_counts = 6;
  repeated double explicit_bounds = 7;
  repeated Exemplar exemplars = 8;
  uint32 flags = 10;
  optional double min = 11;
  optional double max = 12;
}
message ExponentialHistogramDataPoint {
  repeated KeyValue attributes = 1;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  optional double sum = 5;
  sint32 scale = 6;
  fixed64 zero_count = 7;
  Buckets positive = 8;
  Buckets negative = 9;
  uint32 flags = 10;
  repeated Exemplar exemplars = 11;
  optional double min = 12;
  optional double max = 13;
  double zero_threshold = 14;
  message Buckets { sint32 offset = 1; repeated uint64 bucket_counts = 2; }
}
message SummaryDataPoint {
  repeated KeyValue attributes = 7;
  fixed64 start_time_unix_nano = 2;
  fixed64 time_unix_nano = 3;
  fixed64 count = 4;
  double sum = 5;
  repeated ValueAtQuantile quantile_values = 6;
  uint32 flags = 8;
  message ValueAtQuantile { double quantile = 1; double value = 2; }
}
message Exemplar {
  repeated KeyValue filtered_attributes = 7;
  fixed64 time_unix_nano = 2;
  oneof value { double as_double = 3; sfixed64 as_int = 6; }
  bytes span_id = 4;
  bytes trace_id = 5;
}
`;

const root = protobuf.parse(OTLP_PROTO, { keepCase: false }).root;
const TraceRequest = root.lookupType('otlp.ExportTraceServiceRequest');
const MetricsRequest = root.lookupType('otlp.ExportMetricsServiceRequest');
const LogsRequest = root.lookupType('otlp.ExportLogsServiceRequest');
/** Protobuf → plain object with camelCase keys (the OTLP/JSON field names), 64-bit integers as strings, bytes as Buffers. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, defaults: false, arrays: true, oneofs: false };

export type AttributeValue = string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue } | Uint8Array;
export type AttributeMap = Record<string, AttributeValue>;

export interface ReceivedSpan {
  name: string;
  /** OTLP SpanKind: 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER (the OTel API's SpanKind + 1). */
  kind: number;
  traceId: string;
  spanId: string;
  /** Empty string for a root span. */
  parentSpanId: string;
  traceState: string;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  attributes: AttributeMap;
  /** OTLP status code: 0 UNSET, 1 OK, 2 ERROR. */
  status: { code: number; message: string };
  links: Array<{ traceId: string; spanId: string; attributes: AttributeMap }>;
  events: Array<{ name: string; attributes: AttributeMap }>;
  resource: AttributeMap;
  scope: { name: string; version: string };
  /** Which encoding the span arrived in. */
  encoding: Encoding;
}

export interface ReceivedDataPoint {
  attributes: AttributeMap;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  /** Gauge and sum points. */
  value?: number;
  /** Histogram points. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  type: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary' | 'unknown';
  /** 1 DELTA, 2 CUMULATIVE (sums and histograms). */
  aggregationTemporality?: number;
  dataPoints: ReceivedDataPoint[];
  resource: AttributeMap;
  scope: { name: string; version: string };
  encoding: Encoding;
}

export interface ReceivedLogRecord {
  eventName: string;
  severityNumber: number;
  severityText: string;
  body: AttributeValue;
  attributes: AttributeMap;
  resource: AttributeMap;
  scope: { name: string; version: string };
  encoding: Encoding;
}

export type Signal = 'traces' | 'metrics' | 'logs';
export type Encoding = 'protobuf' | 'json';

export interface ReceivedRequest {
  signal: Signal;
  encoding: Encoding;
  bytes: number;
}

export interface OtlpReceiverOptions {
  /** Largest accepted body (after decompression). @default 16 MiB */
  maxBodyBytes?: number;
  /** Keep every decompressed request body (for byte-level checks such as privacy canaries). */
  keepBodies?: boolean;
}

/** How the receiver misbehaves, to test exporters against a failing collector. */
export type ReceiverFault =
  | { kind: 'none' }
  | { kind: 'status'; status: 500 | 429 | 503 }
  | { kind: 'slow'; delayMs: number }
  | { kind: 'reset' };

/** OTel SpanKind (API enum) → OTLP SpanKind. */
export const OTLP_SPAN_KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;
export const OTLP_STATUS_CODE = { UNSET: 0, OK: 1, ERROR: 2 } as const;

const SIGNAL_PATHS: Record<string, Signal> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
const SPAN_KIND_NAMES: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODE_NAMES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 };
const TEMPORALITY_NAMES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

export class OtlpReceiver {
  private readonly server: Server;
  private readonly events = new EventEmitter();
  private readonly maxBodyBytes: number;
  private readonly _spans: ReceivedSpan[] = [];
  private readonly _metrics: ReceivedMetric[] = [];
  private readonly _logs: ReceivedLogRecord[] = [];
  private readonly _requests: ReceivedRequest[] = [];
  private readonly _errors: string[] = [];
  private readonly _bodies: Buffer[] = [];
  private readonly keepBodies: boolean;
  private fault: ReceiverFault = { kind: 'none' };
  private _faulted = 0;
  private _url: string | undefined;

  constructor(options: OtlpReceiverOptions = {}) {
    this.maxBodyBytes = options.maxBodyBytes ?? 16 * 1024 * 1024;
    this.keepBodies = options.keepBodies ?? false;
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 5_000;
    this.server.keepAliveTimeout = 1_000;
    this.events.setMaxListeners(100);
  }

  /** Starts listening on 127.0.0.1 on a random port. */
  async start(timeoutMs = 5000): Promise<this> {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(0, '127.0.0.1', () => {
          this.server.off('error', reject);
          resolve();
        });
      }),
      timeoutMs,
      'OTLP receiver did not start listening',
    );
    const { port } = this.server.address() as AddressInfo;
    this._url = `http://127.0.0.1:${port}`;
    return this;
  }

  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporters append /v1/<signal>). */
  get url(): string {
    if (this._url === undefined) throw new Error('OTLP receiver not started');
    return this._url;
  }

  /** Every span received so far, in arrival order. */
  spans(): ReceivedSpan[] {
    return [...this._spans];
  }

  /** Every metric of every export, in arrival order (cumulative exports repeat a metric with growing values). */
  metrics(): ReceivedMetric[] {
    return [...this._metrics];
  }

  /** Every log record received so far, in arrival order. */
  logs(): ReceivedLogRecord[] {
    return [...this._logs];
  }

  /** The latest export of the metric called `name`. */
  metric(name: string): ReceivedMetric | undefined {
    for (let i = this._metrics.length - 1; i >= 0; i--) if (this._metrics[i].name === name) return this._metrics[i];
    return undefined;
  }

  /** The data points of the latest export of metric `name` from the service called `service`. */
  latestPoints(name: string, service: string): ReceivedDataPoint[] {
    return this._metrics.filter((m) => m.name === name && m.resource['service.name'] === service).at(-1)?.dataPoints ?? [];
  }

  /** Every decompressed request body, when started with `keepBodies`. */
  bodies(): Buffer[] {
    return [...this._bodies];
  }

  /** From now on, answer every export with an error status, slowly, or normally again. */
  setFault(fault: ReceiverFault): void {
    this.fault = fault;
  }

  /** How many export requests were answered with a fault. */
  get faulted(): number {
    return this._faulted;
  }

  /** Every accepted export request (logs included). */
  requests(): ReceivedRequest[] {
    return [...this._requests];
  }

  /** Requests that were rejected (bad path, method, content type or body). */
  errors(): string[] {
    return [...this._errors];
  }

  /** Resolves once `predicate()` holds (checked now and after every export); rejects after `timeoutMs`. */
  waitFor(predicate: () => unknown, timeoutMs: number, what = 'telemetry'): Promise<void> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let poll: NodeJS.Timeout | undefined;
      const done = (err?: Error) => {
        clearTimeout(timer);
        clearInterval(poll);
        this.events.off('data', check);
        if (err) reject(err);
        else resolve();
      };
      const check = () => {
        let ok: unknown;
        try {
          ok = predicate();
        } catch (err) {
          done(err as Error);
          return;
        }
        if (ok) done();
      };
      timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received: ${this.summary()}`)), timeoutMs);
      poll = setInterval(check, 50);
      this.events.on('data', check);
      check();
    });
  }

  /** Forgets everything received. */
  reset(): void {
    this._spans.length = 0;
    this._metrics.length = 0;
    this._requests.length = 0;
    this._errors.length = 0;
  }

  /** A short description of what arrived, for failure messages. */
  summary(): string {
    const names = this._spans.map((s) => s.name);
    const metricNames = [...new Set(this._metrics.map((m) => m.name))];
    return `${this._requests.length} requests; spans [${names.join(', ')}]; metrics [${metricNames.join(', ')}]; errors [${this._errors.join('; ')}]`;
  }

  /** Stops listening and drops open connections. */
  async close(timeoutMs = 5000): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await withTimeout(closed, timeoutMs, 'OTLP receiver did not close').catch(() => undefined);
    this.events.removeAllListeners();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    const signal = SIGNAL_PATHS[path];
    if (req.method !== 'POST' || signal === undefined) {
      this.reject(res, 404, `${req.method} ${req.url}: not an OTLP endpoint`);
      req.resume();
      return;
    }
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const encoding: Encoding | undefined =
      contentType === 'application/x-protobuf' ? 'protobuf' : contentType === 'application/json' ? 'json' : undefined;
    if (encoding === undefined) {
      this.reject(res, 415, `${path}: unsupported content type "${contentType}"`);
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > this.maxBodyBytes) {
        this.reject(res, 413, `${path}: body larger than ${this.maxBodyBytes} bytes`);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => this._errors.push(`${path}: ${err.message}`));
    req.on('end', () => {
      if (res.headersSent) return;
      const fault = this.fault;
      if (fault.kind === 'status') {
        this._faulted++;
        res.writeHead(fault.status, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      if (fault.kind === 'reset') {
        this._faulted++;
        req.socket.destroy();
        return;
      }
      if (fault.kind === 'slow') {
        // Accept nothing, answer late: the exporter's timeout should give up first.
        this._faulted++;
        const timer = setTimeout(() => res.headersSent || res.writeHead(503).end(), fault.delayMs);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      let body: Buffer;
      try {
        body = decompress(Buffer.concat(chunks), req.headers['content-encoding']);
        if (body.length > this.maxBodyBytes) throw new Error(`body larger than ${this.maxBodyBytes} bytes`);
        if (this.keepBodies) this._bodies.push(body);
        if (signal === 'traces') this._spans.push(...decodeTraces(body, encoding));
        else if (signal === 'metrics') this._metrics.push(...decodeMetrics(body, encoding));
        else this._logs.push(...decodeLogs(body, encoding));
      } catch (err) {
        this.reject(res, 400, `${path}: could not decode ${encoding} body: ${(err as Error).message}`);
        return;
      }
      this._requests.push({ signal, encoding, bytes: body.length });
      // An empty Export*ServiceResponse: full success.
      if (encoding === 'json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
        res.end();
      }
      this.events.emit('data');
    });
  }

  private reject(res: ServerResponse, status: number, message: string): void {
    this._errors.push(message);
    if (!res.headersSent) {
      res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' });
      res.end(message);
    }
    this.events.emit('data');
  }
}

/**
 * The environment of a child that exports to `receiver` with the default OTLP exporter (http/protobuf), with
 * short batch and export intervals so that tests wait little.
 */
export function exportEnv(receiver: OtlpReceiver, extra: Record<string, string> = {}): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    ...extra,
  };
}

/** The environment of a child whose traces and metrics arrive only with its shutdown flush (long intervals, no logs). */
export function flushOnlyEnv(receiver: OtlpReceiver, service: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    OTEL_SERVICE_NAME: service,
    OTEL_METRIC_EXPORT_INTERVAL: '60000',
    OTEL_BSP_SCHEDULE_DELAY: '60000',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_LOGS_EXPORTER: 'none',
  };
}

/** Creates and starts a receiver. */
export async function startOtlpReceiver(options?: OtlpReceiverOptions): Promise<OtlpReceiver> {
  return new OtlpReceiver(options).start();
}


function decompress(body: Buffer, encoding: string | string[] | undefined): Buffer {
  const enc = String(encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity') return body;
  if (enc === 'gzip') return gunzipSync(body);
  if (enc === 'deflate') return inflateSync(body);
  throw new Error(`unsupported content-encoding ${enc}`);
}

function parseBody(body: Buffer, encoding: Encoding, type: protobuf.Type): Obj {
  if (encoding === 'json') return JSON.parse(body.toString('utf8')) as Obj;
  return type.toObject(type.decode(body), TO_OBJECT) as Obj;
}

// ---- normalisation: protobuf objects and OTLP/JSON share camelCase field names; values differ in representation ----

/** Trace and span ids: bytes in protobuf, hex strings in OTLP/JSON (base64 in some older encoders). */
function id(value: unknown, bytes: number): string {
  if (value === undefined || value === null || value === '') return '';
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (typeof value === 'string') {
    if (/^[0-9a-f]*$/i.test(value) && value.length === bytes * 2) return value.toLowerCase();
    return Buffer.from(value, 'base64').toString('hex');
  }
  throw new Error(`unexpected id ${JSON.stringify(value)}`);
}

/** 64-bit integers: strings from protobufjs (longs: String); numbers, strings or {low, high} in JSON. */
function int64(value: unknown): bigint {
  if (value === undefined || value === null || value === '') return 0n;
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number') return BigInt(Math.trunc(value));
  if (typeof value === 'string') return BigInt(value);
  if (typeof value === 'object' && 'low' in (value as Obj) && 'high' in (value as Obj)) {
    const v = value as { low: number; high: number };
    return (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0);
  }
  throw new Error(`unexpected 64-bit integer ${JSON.stringify(value)}`);
}

function num(value: unknown): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
    return Number(value);
  }
  return Number(int64(value));
}

function enumValue(value: unknown, names: Record<string, number>): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value in names) return names[value];
  throw new Error(`unexpected enum value ${JSON.stringify(value)}`);
}

function anyValue(value: Obj | undefined | null): AttributeValue {
  if (value === undefined || value === null) return null;
  if ('stringValue' in value) return String(value.stringValue);
  if ('boolValue' in value) return Boolean(value.boolValue);
  if ('intValue' in value) {
    const big = int64(value.intValue);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
  }
  if ('doubleValue' in value) return num(value.doubleValue);
  if ('arrayValue' in value) return ((value.arrayValue?.values ?? []) as Obj[]).map(anyValue);
  if ('kvlistValue' in value) return attributes(value.kvlistValue?.values);
  if ('bytesValue' in value) {
    const b = value.bytesValue;
    return b instanceof Uint8Array ? new Uint8Array(b) : new Uint8Array(Buffer.from(String(b), 'base64'));
  }
  return null;
}

function attributes(list: Obj[] | undefined): AttributeMap {
  const out: AttributeMap = {};
  for (const kv of list ?? []) out[String(kv.key)] = anyValue(kv.value);
  return out;
}

function scope(s: Obj | undefined): { name: string; version: string } {
  return { name: s?.name ?? '', version: s?.version ?? '' };
}

/** An OTLP ExportMetricsServiceRequest as a plain object (camelCase OTLP/JSON field names; 64-bit integers as strings). */
export function decodeMetricsRequest(body: Buffer, encoding: Encoding = 'protobuf'): Obj {
  return parseBody(body, encoding, MetricsRequest);
}

export function decodeTraces(body: Buffer, encoding: Encoding): ReceivedSpan[] {
  const request = parseBody(body, encoding, TraceRequest);
  const out: ReceivedSpan[] = [];
  for (const rs of (request.resourceSpans ?? []) as Obj[]) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of (rs.scopeSpans ?? []) as Obj[]) {
      const sc = scope(ss.scope);
      for (const s of (ss.spans ?? []) as Obj[]) {
        out.push({
          name: s.name ?? '',
          kind: enumValue(s.kind, SPAN_KIND_NAMES),
          traceId: id(s.traceId, 16),
          spanId: id(s.spanId, 8),
          parentSpanId: id(s.parentSpanId, 8),
          traceState: s.traceState ?? '',
          startTimeUnixNano: int64(s.startTimeUnixNano),
          endTimeUnixNano: int64(s.endTimeUnixNano),
          attributes: attributes(s.attributes),
          status: { code: enumValue(s.status?.code, STATUS_CODE_NAMES), message: s.status?.message ?? '' },
          links: ((s.links ?? []) as Obj[]).map((l) => ({ traceId: id(l.traceId, 16), spanId: id(l.spanId, 8), attributes: attributes(l.attributes) })),
          events: ((s.events ?? []) as Obj[]).map((e) => ({ name: e.name ?? '', attributes: attributes(e.attributes) })),
          resource,
          scope: sc,
          encoding,
        });
      }
    }
  }
  return out;
}

function numberPoint(p: Obj): ReceivedDataPoint {
  return {
    attributes: attributes(p.attributes),
    startTimeUnixNano: int64(p.startTimeUnixNano),
    timeUnixNano: int64(p.timeUnixNano),
    value: p.asDouble !== undefined ? num(p.asDouble) : num(p.asInt),
  };
}

function histogramPoint(p: Obj): ReceivedDataPoint {
  const point: ReceivedDataPoint = {
    attributes: attributes(p.attributes),
    startTimeUnixNano: int64(p.startTimeUnixNano),
    timeUnixNano: int64(p.timeUnixNano),
    count: num(p.count),
    bucketCounts: ((p.bucketCounts ?? []) as unknown[]).map(num),
    explicitBounds: ((p.explicitBounds ?? []) as unknown[]).map(num),
  };
  if (p.sum !== undefined) point.sum = num(p.sum);
  if (p.min !== undefined) point.min = num(p.min);
  if (p.max !== undefined) point.max = num(p.max);
  return point;
}

export function decodeMetrics(body: Buffer, encoding: Encoding): ReceivedMetric[] {
  const request = parseBody(body, encoding, MetricsRequest);
  const out: ReceivedMetric[] = [];
  for (const rm of (request.resourceMetrics ?? []) as Obj[]) {
    const resource = attributes(rm.resource?.attributes);
    for (const sm of (rm.scopeMetrics ?? []) as Obj[]) {
      const sc = scope(sm.scope);
      for (const m of (sm.metrics ?? []) as Obj[]) {
        const metric: ReceivedMetric = {
          name: m.name ?? '',
          description: m.description ?? '',
          unit: m.unit ?? '',
          type: 'unknown',
          dataPoints: [],
          resource,
          scope: sc,
          encoding,
        };
        if (m.histogram) {
          metric.type = 'histogram';
          metric.aggregationTemporality = enumValue(m.histogram.aggregationTemporality, TEMPORALITY_NAMES);
          metric.dataPoints = ((m.histogram.dataPoints ?? []) as Obj[]).map(histogramPoint);
        } else if (m.sum) {
          metric.type = 'sum';
          metric.aggregationTemporality = enumValue(m.sum.aggregationTemporality, TEMPORALITY_NAMES);
          metric.dataPoints = ((m.sum.dataPoints ?? []) as Obj[]).map(numberPoint);
        } else if (m.gauge) {
          metric.type = 'gauge';
          metric.dataPoints = ((m.gauge.dataPoints ?? []) as Obj[]).map(numberPoint);
        } else if (m.exponentialHistogram) {
          metric.type = 'exponentialHistogram';
          metric.aggregationTemporality = enumValue(m.exponentialHistogram.aggregationTemporality, TEMPORALITY_NAMES);
          metric.dataPoints = ((m.exponentialHistogram.dataPoints ?? []) as Obj[]).map((p) => ({
            attributes: attributes(p.attributes),
            startTimeUnixNano: int64(p.startTimeUnixNano),
            timeUnixNano: int64(p.timeUnixNano),
            count: num(p.count),
            ...(p.sum !== undefined ? { sum: num(p.sum) } : {}),
          }));
        } else if (m.summary) {
          metric.type = 'summary';
          metric.dataPoints = ((m.summary.dataPoints ?? []) as Obj[]).map((p) => ({
            attributes: attributes(p.attributes),
            startTimeUnixNano: int64(p.startTimeUnixNano),
            timeUnixNano: int64(p.timeUnixNano),
            count: num(p.count),
            sum: num(p.sum),
          }));
        }
        out.push(metric);
      }
    }
  }
  return out;
}

export function decodeLogs(body: Buffer, encoding: Encoding): ReceivedLogRecord[] {
  const request = parseBody(body, encoding, LogsRequest);
  const out: ReceivedLogRecord[] = [];
  for (const rl of (request.resourceLogs ?? []) as Obj[]) {
    const resource = attributes(rl.resource?.attributes);
    for (const sl of (rl.scopeLogs ?? []) as Obj[]) {
      const sc = scope(sl.scope);
      for (const r of (sl.logRecords ?? []) as Obj[]) {
        out.push({
          eventName: r.eventName ?? '',
          severityNumber: num(r.severityNumber),
          severityText: r.severityText ?? '',
          body: anyValue(r.body),
          attributes: attributes(r.attributes),
          resource,
          scope: sc,
          encoding,
        });
      }
    }
  }
  return out;
}
