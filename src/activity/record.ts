import type { Attributes } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config';
import type { ConnectionState } from '../connection';
import type { ClientOperationTally } from '../telemetry/metrics';
import { ATTR_ERROR_TYPE, ATTR_GEN_AI_PROMPT_NAME, ATTR_GEN_AI_TOOL_NAME, ATTR_MCP_METHOD_NAME } from '../semconv';
import type { ClientActivity } from '../types';
import { callMethodSafely } from '../safely';

/**
 * Per-client accounting of one finished operation: the capped per-client operation tally and the activity store. The store may be
 * the user's (possibly asynchronous, possibly failing): its errors go to `onStoreError`.
 */
export function recordClientActivity(
  config: ResolvedConfig,
  tally: ClientOperationTally,
  onStoreError: (err: unknown) => void,
  state: ConnectionState,
  type: ClientActivity['type'],
  metricAttributes: Attributes,
  durationMs: number,
): void {
  const errorType = metricAttributes[ATTR_ERROR_TYPE] as string | undefined;
  const trackingId = state.trackingId;
  if (trackingId === undefined) return;
  const method = metricAttributes[ATTR_MCP_METHOD_NAME] as string;
  if (state.metricTrackingId !== undefined) tally.add(state.metricTrackingId, state.clientType, method, errorType);
  const store = config.activityStore;
  if (!store) return;
  const activity: ClientActivity = { timestamp: Date.now(), type, method, status: errorType === undefined ? 'success' : 'error', durationMs };
  const tool = metricAttributes[ATTR_GEN_AI_TOOL_NAME];
  if (typeof tool === 'string') activity.toolName = tool;
  const prompt = metricAttributes[ATTR_GEN_AI_PROMPT_NAME];
  if (typeof prompt === 'string') activity.promptName = prompt;
  if (errorType !== undefined) activity.errorType = errorType;
  const sessionId = state.sessionId ?? state.synthesizedSession?.session?.id;
  if (sessionId !== undefined) activity.sessionId = sessionId;
  callMethodSafely(store, store.record, trackingId, activity, onStoreError);
}
