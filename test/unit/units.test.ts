import { describe, expect, it } from 'vitest';
import {
  PendingRequests,
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

describe("PendingRequests (a connection's open requests: one in a slot, the rest in a Map)", () => {
  it('behaves as a Map across the slot and the Map: get, has, size, replace, delete, keys', () => {
    const p = new PendingRequests<string>();
    expect(p.size).toBe(0);
    p.set(1, 'a'); // the slot
    p.set('x', 'b'); // the Map
    p.set(2, 'c');
    expect([p.get(1), p.get('x'), p.get(2), p.get(3)]).toEqual(['a', 'b', 'c', undefined]);
    expect(p.size).toBe(3);
    expect(p.keys()).toEqual([1, 'x', 2]);
    p.set(1, 'a2'); // same id again: replaced in place
    p.set('x', 'b2');
    expect([p.get(1), p.get('x'), p.size]).toEqual(['a2', 'b2', 3]);
    p.delete(1);
    expect([p.has(1), p.size, p.keys()]).toEqual([false, 2, ['x', 2]]);
    p.set(3, 'd'); // the slot is free again
    expect([p.get(3), p.size]).toEqual(['d', 3]);
    p.set('x', 'b3'); // an id in the Map stays there (never two entries for one id)
    expect([p.get('x'), p.size]).toEqual(['b3', 3]);
    for (const id of p.keys()) p.delete(id);
    expect([p.size, p.keys()]).toEqual([0, []]);
    expect(p.get(1)).toBeUndefined();
    p.set(1, 'n'); // 1 and '1' are different ids
    expect([p.get(1), p.get('1')]).toEqual(['n', undefined]);
  });
});
