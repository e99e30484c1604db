import { createHmac } from 'node:crypto';

/*
 * Stable, short, non-reversible client tracking IDs: an HMAC-SHA256 over the
 * most stable characteristics the server can see, keyed with the tracking
 * secret. Replicas that share the secret compute the same ID for the same
 * client; the inputs never leave the process.
 */

/** What the default tracking ID is computed from, strongest first. */
interface TrackingInputs {
  /** OAuth client id and subject from the SDK's `authInfo`. */
  authClientId?: string;
  authSubject?: string;
  /** Bearer token (from `authInfo.token` or the Authorization header). */
  token?: string;
  clientName?: string;
  clientVersion?: string;
  /** Opt-in extras for clientInfo-based IDs. */
  address?: string;
  userAgent?: string;
}

/** Used when no secret is configured: IDs stay stable, but anyone knowing the inputs can recompute them. */
export const DEFAULT_TRACKING_SECRET = 'mcp-otel default tracking secret; set trackingSecret in production';
const ID_LENGTH = 16;
const CACHE_LIMIT = 1024;

export class TrackingIdGenerator {
  // Same inputs, same ID: cache per input string so stateless servers (a new
  // connection per request) don't pay an HMAC per request.
  private readonly cache = new Map<string, string>();

  constructor(private readonly secret: string) {}

  /** The default tracking ID, or undefined when nothing identifies the client. */
  compute(inputs: TrackingInputs): string | undefined {
    const material = trackingMaterial(inputs);
    return material === undefined ? undefined : this.hash(material);
  }

  /** A keyed hash for other identifiers (e.g. a user id) that must not be exported raw. */
  hash(material: string): string {
    const cached = this.cache.get(material);
    if (cached !== undefined) return cached;
    const id = createHmac('sha256', this.secret).update(material).digest('hex').slice(0, ID_LENGTH);
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(material, id);
    return id;
  }
}

/** The canonical string hashed for a client; the prefix keeps the kinds of input apart. */
function trackingMaterial(i: TrackingInputs): string | undefined {
  if (i.authClientId || i.authSubject) return `auth\u0000${i.authClientId ?? ''}\u0000${i.authSubject ?? ''}`;
  if (i.token) return `token\u0000${i.token}`;
  if (i.clientName) {
    return `client\u0000${i.clientName}\u0000${i.clientVersion ?? ''}\u0000${i.address ?? ''}\u0000${i.userAgent ?? ''}`;
  }
  if (i.userAgent || i.address) return `agent\u0000${i.address ?? ''}\u0000${i.userAgent ?? ''}`;
  return undefined;
}
