import { describe, expect, it } from 'vitest';
import {
  classifyResponse,
  cleanErrorMessage,
  httpServerSpanOverrides,
  IdentityResolver,
  PACKAGE_NAME,
  PACKAGE_VERSION,
  recordedAddress,
  resolveConfig,
  truncateAddress,
} from '../../dist/cjs/internal.js';
import pkg from '../../package.json';

describe('version', () => {
  it('matches package.json', () => {
    expect([PACKAGE_NAME, PACKAGE_VERSION]).toEqual([pkg.name, pkg.version]);
  });
});

describe('classifyResponse', () => {
  it.each([-32700, -32600, -32601, -32602, -32002])('%i is a caller fault: code, no error.type', (code) => {
    expect(classifyResponse('tools/list', { error: { code, message: 'x' } })).toEqual({ statusCode: String(code) });
  });
  it.each([-32603, -32000, -32001, -32042, 1234])('%i is a server error', (code) => {
    expect(classifyResponse('tools/list', { error: { code, message: `MCP error ${code}: broke` } })).toEqual({
      statusCode: String(code),
      errorType: String(code),
      message: 'broke',
    });
  });
  it('an error without a numeric code is _OTHER', () => {
    expect(classifyResponse('x', { error: { code: 'weird', message: 'm' } })).toEqual({ statusCode: undefined, errorType: '_OTHER', message: 'm' });
  });
  it('isError only counts on tools/call', () => {
    expect(classifyResponse('tools/call', { result: { isError: true } })).toEqual({ errorType: 'tool_error' });
    expect(classifyResponse('prompts/get', { result: { isError: true } })).toEqual({});
    expect(classifyResponse('tools/call', { result: { isError: 'true' } })).toEqual({});
  });
  it('caps and strips messages', () => {
    expect(cleanErrorMessage(`MCP error -32603: ${'a'.repeat(1000)}`)).toHaveLength(512);
    expect(cleanErrorMessage('')).toBeUndefined();
    expect(cleanErrorMessage(42)).toBeUndefined();
  });
});

describe('resolveConfig', () => {
  const warnings: string[] = [];
  const warn = (m: string) => warnings.push(m);
  it('defaults to capturing nothing', () => {
    const c = resolveConfig({}, {}, warn);
    expect([c.captureToolArguments, c.captureToolResults, c.capturePromptArguments, c.clientAddressMode]).toEqual([false, false, false, undefined]);
    expect(c.captureRequestHeaders).toEqual([]);
    expect(c.statusCodeAttribute).toBe('rpc.response.status_code');
  });
  it('environment overrides code, and bad values warn and fall back', () => {
    const c = resolveConfig(
      { captureToolResults: true },
      { OTEL_INSTRUMENTATION_MCP_CAPTURE_TOOL_RESULTS: 'false', OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS: 'maybe' },
      warn,
    );
    expect(c.captureToolResults).toBe(false);
    expect(c.clientAddressMode).toBeUndefined();
    expect(warnings.some((w) => w.includes('maybe'))).toBe(true);
  });
  it('never allows credential headers', () => {
    const c = resolveConfig({}, { OTEL_INSTRUMENTATION_MCP_CAPTURE_REQUEST_HEADERS: 'User-Agent, Authorization,cookie,x-tenant' }, warn);
    expect(c.captureRequestHeaders).toEqual(['user-agent', 'x-tenant']);
  });
});

describe('client address anonymisation', () => {
  it('truncates IPv4 to /24 and IPv6 to /48', () => {
    expect(truncateAddress('203.0.113.77')).toBe('203.0.113.0');
    expect(truncateAddress('::ffff:198.51.100.9')).toBe('198.51.100.0');
    expect(truncateAddress('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::');
    expect(truncateAddress('2001:db8::1')).toBe('2001:db8:0::');
    expect(truncateAddress('not an address')).toBe('_OTHER');
  });
  it('hashes with the given keyed hash, never returning the address', () => {
    const hashed = recordedAddress('203.0.113.77', 'hash', (m) => `h(${m.length})`);
    expect(hashed).toBe('h(20)');
    expect(recordedAddress('203.0.113.77', 'full', () => 'x')).toBe('203.0.113.77');
  });
  it('accepts the modes from code and environment', () => {
    expect(resolveConfig({ captureClientAddress: 'truncate' }, {}, () => {}).clientAddressMode).toBe('truncate');
    expect(resolveConfig({}, { OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS: 'hash' }, () => {}).clientAddressMode).toBe('hash');
    expect(resolveConfig({ captureClientAddress: true }, { OTEL_INSTRUMENTATION_MCP_CAPTURE_CLIENT_ADDRESS: 'false' }, () => {}).clientAddressMode).toBeUndefined();
  });
});

describe('tracking ID inputs', () => {
  const idOf = (user: Record<string, unknown>, address: string, userAgent: string) => {
    const resolver = new IdentityResolver({ config: resolveConfig({ trackingSecret: 'k', ...user }, {}, () => {}) }, () => {});
    return resolver.resolve({
      clientName: 'cursor',
      clientVersion: '1.0',
      address,
      extra: { requestInfo: { headers: { 'user-agent': userAgent } } },
    }).trackingId;
  };
  it('clientInfo-based IDs ignore address and User-Agent unless asked', () => {
    expect(idOf({}, '10.0.0.1', 'a')).toBe(idOf({}, '10.0.0.2', 'b'));
  });
  it('trackingIdFromAddress and trackingIdFromUserAgent tell clients apart by those', () => {
    expect(idOf({ trackingIdFromAddress: true }, '10.0.0.1', 'a')).not.toBe(idOf({ trackingIdFromAddress: true }, '10.0.0.2', 'a'));
    expect(idOf({ trackingIdFromAddress: true }, '10.0.0.1', 'a')).toBe(idOf({ trackingIdFromAddress: true }, '10.0.0.1', 'b'));
    expect(idOf({ trackingIdFromUserAgent: true }, '10.0.0.1', 'a')).not.toBe(idOf({ trackingIdFromUserAgent: true }, '10.0.0.1', 'b'));
    expect(idOf({ trackingIdFromUserAgent: true }, '10.0.0.1', 'a')).toBe(idOf({ trackingIdFromUserAgent: true }, '10.0.0.2', 'a'));
  });
});

describe('httpServerSpanOverrides (register\'s HTTP server spans follow the privacy settings)', () => {
  const config = (options: Parameters<typeof resolveConfig>[0]) => resolveConfig(options, {}, () => {});
  it('blanks client address, peer address and port, and User-Agent by default', () => {
    expect(httpServerSpanOverrides(config({}))).toEqual({
      'client.address': undefined,
      'network.peer.address': undefined,
      'network.peer.port': undefined,
      'user_agent.original': undefined,
    });
  });
  it('keeps raw addresses only with captureClientAddress: true, and User-Agent only when the header is captured', () => {
    expect(Object.keys(httpServerSpanOverrides(config({ captureClientAddress: 'hash', captureRequestHeaders: ['user-agent'] }))!)).toEqual([
      'client.address',
      'network.peer.address',
      'network.peer.port',
    ]);
    expect(httpServerSpanOverrides(config({ captureClientAddress: true, captureRequestHeaders: ['User-Agent'] }))).toBeUndefined();
  });
});
