import { ValueType } from '@opentelemetry/api';
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { MCP_DURATION_BUCKETS, METRIC_MCP_SERVER_OPERATION_DURATION } from './semconv';

/**
 * The instruments mcp-otel records. Created from the instrumentation's meter
 * and replaced whenever the meter provider changes.
 */
export class McpMetrics {
  readonly operationDuration: Histogram;

  constructor(meter: Meter) {
    this.operationDuration = meter.createHistogram(METRIC_MCP_SERVER_OPERATION_DURATION, {
      description: 'Duration of the MCP request or notification as observed on the receiver.',
      unit: 's',
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: MCP_DURATION_BUCKETS },
    });
  }

  recordOperation(seconds: number, attributes: Attributes): void {
    this.operationDuration.record(seconds, attributes);
  }
}
