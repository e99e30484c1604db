import { context } from '@opentelemetry/api';
import type { ConnectionState } from '../connection';
import { CONNECTION_KEY, putConnectionInContext } from '../telemetry/server';
import type { ActivityQuery, ClientActivityStore } from '../types';

/** The part of McpServer the activity tool needs (structural: the SDK is not a dependency). */
export interface ActivityToolServer {
  registerTool(
    name: string,
    config: { title?: string; description?: string },
    handler: (extra: unknown) => Promise<{ content: Array<{ type: 'text'; text: string }>; isError?: boolean }>,
  ): unknown;
}

export interface ActivityToolOptions {
  /** @default 'my_activity' */
  name?: string;
  /** How many recent activities to return. @default 20 */
  limit?: number;
  /** Only activities newer than this many milliseconds. @default no limit */
  windowMillis?: number;
}

function text(value: unknown, isError = false) {
  return { content: [{ type: 'text' as const, text: typeof value === 'string' ? value : JSON.stringify(value, null, 2) }], isError };
}

/**
 * Registers a tool through which a connected client sees its own recent
 * activity and stats. The caller is identified by the session the call
 * arrives on (its tracking ID), never by an argument: the tool takes none, so
 * no client can ask for another's data.
 */
export function registerActivityTool(server: ActivityToolServer, options: ActivityToolOptions = {}): void {
  const limit = Math.max(1, Math.floor(options.limit ?? 20));
  putConnectionInContext();
  server.registerTool(
    options.name ?? 'my_activity',
    {
      title: 'My activity',
      description: 'Shows this client its own recent requests to this server and usage statistics.',
    },
    async () => {
      const state = context.active().getValue(CONNECTION_KEY) as ConnectionState | undefined;
      const store: ClientActivityStore | undefined = state?.activity.activityStore;
      if (!state || !store) return text('Activity is not being recorded for this connection.', true);
      const trackingId = state.trackingId;
      if (trackingId === undefined) return text('This connection has no client tracking ID.', true);
      const query: ActivityQuery = { limit };
      if (options.windowMillis !== undefined) query.since = Date.now() - options.windowMillis;
      try {
        const [stats, recent] = await Promise.all([store.stats(trackingId), store.list(trackingId, query)]);
        return text({ trackingId, sessionId: state.sessionId, stats: stats ?? null, recent });
      } catch {
        return text('Activity could not be read.', true);
      }
    },
  );
}
