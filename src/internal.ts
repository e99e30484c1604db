/*
 * The internals that unit tests exercise directly, in one place (test/ imports dist/cjs/internal.js). Not in the
 * package's `exports` map, so applications cannot import it; nothing here is public API.
 */
export { resolveConfig } from './config';
export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
export { recordedAddress, truncateAddress } from './identity/client-address';
export { IdentityResolver } from './identity/resolver';
export { httpServerSpanOverrides } from './register/http-privacy';
export { classifyResponse, cleanErrorMessage } from './telemetry/errors';
export { parentFromMeta } from './telemetry/propagation';
export { PendingRequests } from './telemetry/pending';
