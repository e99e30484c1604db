import { ValueType } from '@opentelemetry/api';
import type { Attributes, Counter, Histogram, Meter, UpDownCounter } from '@opentelemetry/api';
import {
  MCP_DURATION_BUCKETS,
  MCP_SESSION_DURATION_BUCKETS,
  METRIC_MCP_SERVER_CLIENT_OPERATIONS,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  METRIC_MCP_SERVER_SESSION_ACTIVE,
  METRIC_MCP_SERVER_SESSION_DURATION,
  METRIC_MCP_SERVER_SESSION_STARTED,
} from './semconv';

/**
 * The instruments mcp-otel records. Created from the instrumentation's meter
 * and replaced whenever the meter provider changes.
 */
export class McpMetrics {
  readonly operationDuration: Histogram;
  readonly sessionDuration: Histogram;
  readonly activeSessions: UpDownCounter;
  readonly sessionsStarted: Counter;
  readonly clientOperations: Counter;

  constructor(meter: Meter) {
    this.operationDuration = meter.createHistogram(METRIC_MCP_SERVER_OPERATION_DURATION, {
      description: 'Duration of the MCP request or notification as observed on the receiver.',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: MCP_DURATION_BUCKETS },
    });
    this.sessionDuration = meter.createHistogram(METRIC_MCP_SERVER_SESSION_DURATION, {
      description: 'The duration of the MCP session as observed on the MCP server.',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: MCP_SESSION_DURATION_BUCKETS },
    });
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
    this.clientOperations = meter.createCounter(METRIC_MCP_SERVER_CLIENT_OPERATIONS, {
      description: 'MCP requests and notifications per client tracking ID, capped in cardinality (non-standard).',
      unit: '{operation}',
      valueType: ValueType.INT,
    });
  }

  recordOperation(seconds: number, attributes: Attributes): void {
    this.operationDuration.record(seconds, attributes);
  }
}
