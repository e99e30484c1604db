import { VALUE_OTHER } from '../semconv';
import type { ActivityQuery, ClientActivity, ClientActivityStats, ClientActivityStore } from '../types';

/*
 * The default ClientActivityStore: in memory, bounded twice. At most
 * `maxClients` clients (the least recently active is evicted first) and at most
 * `maxActivitiesPerClient` activities each (oldest first). Totals keep counting
 * past the activity cap, so stats stay right while the list stays short.
 */

const MAX_BREAKDOWN_KEYS = 100;

interface ClientRecord {
  activities: ClientActivity[];
  /** Index of the oldest activity once the ring is full. */
  head: number;
  /** The stats as they are kept (the rate is derived when read). */
  counts: { -readonly [K in Exclude<keyof ClientActivityStats, 'averageHourlyRate'>]-?: NonNullable<ClientActivityStats[K]> };
}

export interface InMemoryActivityStoreOptions {
  /** @default 200 */
  maxClients?: number;
  /** @default 100 */
  maxActivitiesPerClient?: number;
}

function bump(counts: Record<string, number>, key: string): void {
  if (counts[key] === undefined && Object.keys(counts).length >= MAX_BREAKDOWN_KEYS) key = VALUE_OTHER;
  counts[key] = (counts[key] ?? 0) + 1;
}

export class InMemoryActivityStore implements ClientActivityStore {
  private readonly clients = new Map<string, ClientRecord>();
  /** The most recently active client: already last in `clients`, no need to re-insert it. */
  private latest: string | undefined;
  private readonly maxClients: number;
  private readonly maxActivities: number;

  constructor(options: InMemoryActivityStoreOptions = {}) {
    this.maxClients = Math.max(1, Math.floor(options.maxClients ?? 200));
    this.maxActivities = Math.max(1, Math.floor(options.maxActivitiesPerClient ?? 100));
  }

  record(trackingId: string, activity: ClientActivity): void {
    let rec = this.clients.get(trackingId);
    if (rec === undefined) {
      if (this.clients.size >= this.maxClients) this.clients.delete(this.clients.keys().next().value as string);
      const counts = { trackingId, totalActivities: 0, successCount: 0, errorCount: 0, byMethod: Object.create(null), byTool: Object.create(null), firstActivity: activity.timestamp, lastActivity: activity.timestamp };
      rec = { activities: [], head: 0, counts };
      this.clients.set(trackingId, rec);
    } else if (this.latest !== trackingId) {
      this.clients.delete(trackingId); // re-insert: Map order is recency order
      this.clients.set(trackingId, rec);
    }
    this.latest = trackingId;
    if (rec.activities.length < this.maxActivities) rec.activities.push(activity);
    else {
      rec.activities[rec.head] = activity;
      rec.head = (rec.head + 1) % this.maxActivities;
    }
    const counts = rec.counts;
    counts.totalActivities++;
    if (activity.status === 'error') counts.errorCount++;
    else counts.successCount++;
    bump(counts.byMethod, activity.method);
    if (activity.toolName !== undefined) bump(counts.byTool, activity.toolName);
    counts.firstActivity = Math.min(counts.firstActivity, activity.timestamp);
    counts.lastActivity = Math.max(counts.lastActivity, activity.timestamp);
  }

  list(trackingId: string, query: ActivityQuery = {}): ClientActivity[] {
    const rec = this.clients.get(trackingId);
    if (!rec) return [];
    const ordered = rec.activities.slice(rec.head).concat(rec.activities.slice(0, rec.head));
    const out = ordered.filter(
      (a) =>
        (query.since === undefined || a.timestamp >= query.since) &&
        (query.until === undefined || a.timestamp <= query.until) &&
        (query.type === undefined || a.type === query.type) &&
        (query.status === undefined || a.status === query.status) &&
        (query.method === undefined || a.method === query.method),
    );
    out.reverse(); // newest first
    return query.limit !== undefined ? out.slice(0, Math.max(0, query.limit)) : out;
  }

  stats(trackingId: string): ClientActivityStats | undefined {
    const rec = this.clients.get(trackingId);
    if (!rec) return undefined;
    const counts = rec.counts;
    const hours = Math.max((counts.lastActivity - counts.firstActivity) / 3_600_000, 1 / 60);
    return { ...counts, byMethod: { ...counts.byMethod }, byTool: { ...counts.byTool }, averageHourlyRate: counts.totalActivities / hours };
  }

  /** Number of clients currently held (for tests and diagnostics). */
  get size(): number {
    return this.clients.size;
  }
}
