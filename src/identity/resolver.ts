import type { Attributes } from '@opentelemetry/api';
import { classifyClient } from './client-type';
import type { ResolvedConfig } from '../config';
import type { MessageExtraLike } from '../internal-types';
import { ATTR_MCP_AUTH_CLIENT_ID, ATTR_MCP_AUTH_SCOPES, ATTR_USER_EMAIL, ATTR_USER_FULL_NAME, ATTR_USER_HASH } from '../semconv';
import { TrackingIdGenerator } from './tracking-id';
import { isThenable } from '../safely';
import type { McpTrackingIdContext, McpUserContext } from '../types';

/*
 * Who a connection's client is: tracking ID, client type and user context,
 * from clientInfo (initialize), authInfo and HTTP headers. Computed when the
 * client is first seen, and again when it re-introduces itself (initialize, a
 * changed stateless envelope) or its credentials change.
 */

export interface ClientIdentity {
  trackingId?: string;
  clientType: string;
  user?: McpUserContext;
  /** Span attributes for the user context. */
  userAttributes: Attributes;
}

interface AuthInfoLike {
  token?: unknown;
  clientId?: unknown;
  scopes?: unknown;
  extra?: Record<string, unknown>;
}

interface IdentityInputs {
  clientName?: string;
  clientVersion?: string;
  extra?: MessageExtraLike;
  address?: string;
  sessionId?: string;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function bearerToken(headers: Record<string, string | string[] | undefined> | undefined): string | undefined {
  const raw = headers?.authorization;
  const value = Array.isArray(raw) ? raw[0] : raw;
  const match = typeof value === 'string' ? /^Bearer\s+(\S+)/i.exec(value) : null;
  return match ? match[1] : undefined;
}

/** A short string that changes when the credentials behind an identity change (raw, never exported). */
export function credentialKey(extra: MessageExtraLike | undefined): string | undefined {
  const auth = extra?.authInfo as AuthInfoLike | undefined;
  return str(auth?.token) ?? bearerToken(extra?.requestInfo?.headers);
}

export class IdentityResolver {
  private generator: TrackingIdGenerator | undefined;
  private secret: string | undefined;

  constructor(
    private readonly source: { readonly config: ResolvedConfig },
    private readonly onError: (what: string, err: unknown) => void,
  ) {}

  private get config(): ResolvedConfig {
    return this.source.config;
  }

  /** The HMAC generator for the current secret (configuration can change at run time). */
  private get ids(): TrackingIdGenerator {
    const secret = this.config.trackingSecret;
    if (this.generator === undefined || secret !== this.secret) {
      this.secret = secret;
      this.generator = new TrackingIdGenerator(secret);
    }
    return this.generator;
  }

  hash(material: string): string {
    return this.ids.hash(material);
  }

  resolve(inputs: IdentityInputs): ClientIdentity {
    const config = this.config;
    const auth = (inputs.extra?.authInfo ?? undefined) as AuthInfoLike | undefined;
    const headers = inputs.extra?.requestInfo?.headers;
    const userAgentRaw = headers?.['user-agent'];
    const userAgent = Array.isArray(userAgentRaw) ? userAgentRaw[0] : userAgentRaw;
    const subject = str(auth?.extra?.sub) ?? str(auth?.extra?.subject) ?? str(auth?.extra?.userId);

    let trackingId: string | undefined;
    const custom = config.user.trackingId;
    if (custom) {
      try {
        const context: McpTrackingIdContext = {
          clientInfo: inputs.clientName !== undefined ? { name: inputs.clientName, version: inputs.clientVersion } : undefined,
          authInfo: auth as Readonly<Record<string, unknown>> | undefined,
          headers,
          sessionId: inputs.sessionId,
        };
        const value: unknown = custom(context);
        if (isThenable(value)) value.then(undefined, (err) => this.onError('trackingId (async)', err));
        if (value === undefined || (typeof value === 'string' && value !== '')) trackingId = value;
        else this.onError('trackingId returned a non-string', value);
        if (typeof trackingId === 'string' && trackingId.length > 128) trackingId = trackingId.slice(0, 128);
      } catch (err) {
        this.onError('trackingId', err);
        trackingId = this.defaultId(inputs, auth, subject, headers, userAgent);
      }
    } else {
      trackingId = this.defaultId(inputs, auth, subject, headers, userAgent);
    }

    const user = this.userContext(auth, subject);
    return { trackingId, clientType: classifyClient(inputs.clientName), user, userAttributes: userAttributes(user) };
  }

  private defaultId(
    inputs: IdentityInputs,
    auth: AuthInfoLike | undefined,
    subject: string | undefined,
    headers: Record<string, string | string[] | undefined> | undefined,
    userAgent: string | undefined,
  ): string | undefined {
    const config = this.config;
    return this.ids.compute({
      authClientId: str(auth?.clientId),
      authSubject: subject,
      token: str(auth?.token) ?? bearerToken(headers),
      clientName: inputs.clientName,
      clientVersion: inputs.clientVersion,
      address: config.trackingIdFromAddress ? inputs.address : undefined,
      userAgent: config.trackingIdFromUserAgent ? str(userAgent) : undefined,
    });
  }

  private userContext(auth: AuthInfoLike | undefined, subject: string | undefined): McpUserContext | undefined {
    if (!auth || typeof auth !== 'object') return undefined;
    const scopes = Array.isArray(auth.scopes) ? auth.scopes.filter((s): s is string => typeof s === 'string') : undefined;
    const user: { -readonly [K in keyof McpUserContext]: McpUserContext[K] } = {};
    if (str(auth.clientId)) user.clientId = str(auth.clientId);
    if (scopes && scopes.length > 0) user.scopes = scopes;
    if (subject) user.userHash = this.ids.hash(`user\u0000${subject}`);
    if (this.config.captureUserIdentity) {
      const email = str(auth.extra?.email);
      const name = str(auth.extra?.name);
      if (email) user.email = email;
      if (name) user.name = name;
    }
    return Object.keys(user).length > 0 ? user : undefined;
  }
}

function userAttributes(user: McpUserContext | undefined): Attributes {
  const attrs: Attributes = {};
  if (!user) return attrs;
  if (user.clientId) attrs[ATTR_MCP_AUTH_CLIENT_ID] = user.clientId;
  if (user.scopes) attrs[ATTR_MCP_AUTH_SCOPES] = [...user.scopes];
  if (user.userHash) attrs[ATTR_USER_HASH] = user.userHash;
  if (user.email) attrs[ATTR_USER_EMAIL] = user.email;
  if (user.name) attrs[ATTR_USER_FULL_NAME] = user.name;
  return attrs;
}
