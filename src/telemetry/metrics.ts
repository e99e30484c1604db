import { ValueType } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Meter, ObservableCounter, ObservableResult, UpDownCounter } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_MCP_CLIENT_TRACKING_ID,
  ATTR_MCP_CLIENT_TYPE,
  ATTR_MCP_METHOD_NAME,
  MCP_DURATION_BUCKETS,
  MCP_SESSION_DURATION_BUCKETS,
  METRIC_MCP_CLIENT_OPERATION_DURATION,
  METRIC_MCP_CLIENT_SESSION_DURATION,
  METRIC_MCP_SERVER_CLIENT_OPERATIONS,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  METRIC_MCP_SERVER_SESSION_ACTIVE,
  METRIC_MCP_SERVER_SESSION_DURATION,
  METRIC_MCP_SERVER_SESSION_STARTED,
} from '../semconv';

/**
 * The instruments mcp-otel records. Created from the instrumentation's meter
 * and replaced whenever the meter provider changes.
 */
export class McpMetrics {
  readonly operationDuration: Histogram;
  readonly sessionDuration: Histogram;
  readonly activeSessions: UpDownCounter;
  readonly sessionsStarted: Counter;
  readonly clientOperations: ObservableCounter;
  /** The sender's side: requests this process sent (as an MCP client, or a server asking its client). */
  readonly clientOperationDuration: Histogram;
  readonly clientSessionDuration: Histogram;

  /** `clientOperations` reports the counts of `tally` at each collection (cheaper than a counter add per request). */
  constructor(meter: Meter, tally: ClientOperationTally) {
    this.operationDuration = seconds(meter, METRIC_MCP_SERVER_OPERATION_DURATION, 'Duration of the MCP request or notification as observed on the receiver.', MCP_DURATION_BUCKETS);
    this.sessionDuration = seconds(meter, METRIC_MCP_SERVER_SESSION_DURATION, 'The duration of the MCP session as observed on the MCP server.', MCP_SESSION_DURATION_BUCKETS);
    this.activeSessions = meter.createUpDownCounter(METRIC_MCP_SERVER_SESSION_ACTIVE, {
      description: 'MCP sessions currently open on this server (non-standard).',
      unit: '{session}',
      valueType: ValueType.INT,
    });
    this.sessionsStarted = meter.createCounter(METRIC_MCP_SERVER_SESSION_STARTED, {
      description: 'MCP sessions started, by client type and whether the client was seen before (non-standard).',
      unit: '{session}',
      valueType: ValueType.INT,
    });
    this.clientOperations = meter.createObservableCounter(METRIC_MCP_SERVER_CLIENT_OPERATIONS, {
      description: 'MCP requests and notifications per client tracking ID, capped in cardinality (non-standard).',
      unit: '{operation}',
      valueType: ValueType.INT,
    });
    this.clientOperations.addCallback((result) => tally.observe(result));
    this.clientOperationDuration = seconds(meter, METRIC_MCP_CLIENT_OPERATION_DURATION, 'Duration of the MCP request or notification as observed on the sender from the time it was sent until the response or ack is received.', MCP_DURATION_BUCKETS);
    this.clientSessionDuration = seconds(meter, METRIC_MCP_CLIENT_SESSION_DURATION, 'The duration of the MCP session as observed on the MCP client.', MCP_SESSION_DURATION_BUCKETS);
  }

  recordOperation(seconds: number, attributes: Attributes): void {
    this.operationDuration.record(seconds, attributes);
  }
}

/** A duration histogram in seconds with advisory bucket boundaries. */
function seconds(meter: Meter, name: string, description: string, boundaries: number[]): Histogram {
  return meter.createHistogram(name, { description, unit: 's', valueType: ValueType.DOUBLE, advice: { explicitBucketBoundaries: boundaries } });
}

/**
 * Per-client operation counts, kept as plain numbers per attribute set and
 * reported cumulatively when metrics are collected. Bounded because tracking
 * IDs and methods are capped before they get here.
 */
export class ClientOperationTally {
  /**
   * tracking ID → client type → method → error type ('' for none) → count. Nested maps of strings the
   * connection already holds, rather than one key concatenated per request (that string cost ≈1 µs).
   */
  private readonly counts = new Map<string, Map<string, Map<string, Map<string, TallyEntry>>>>();

  add(trackingId: string, clientType: string, method: string, errorType: string | undefined): void {
    const byMethod = child(child(this.counts, trackingId), clientType);
    const byError = child(byMethod, method);
    const entry = byError.get(errorType ?? '');
    if (entry !== undefined) {
      entry.value++;
      return;
    }
    const attributes: Attributes = {
      [ATTR_MCP_CLIENT_TRACKING_ID]: trackingId,
      [ATTR_MCP_CLIENT_TYPE]: clientType,
      [ATTR_MCP_METHOD_NAME]: method,
    };
    if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
    byError.set(errorType ?? '', { attributes, value: 1 });
  }

  observe(result: ObservableResult): void {
    for (const byType of this.counts.values()) {
      for (const byMethod of byType.values()) {
        for (const byError of byMethod.values()) for (const { attributes, value } of byError.values()) result.observe(value, attributes);
      }
    }
  }
}

interface TallyEntry {
  readonly attributes: Attributes;
  value: number;
}

function child<V>(map: Map<string, Map<string, V>>, key: string): Map<string, V> {
  let found = map.get(key);
  if (found === undefined) {
    found = new Map();
    map.set(key, found);
  }
  return found;
}
