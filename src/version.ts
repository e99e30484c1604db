// Kept in step with package.json by test/unit/units.test.ts ('version').
export const PACKAGE_NAME = 'mcp-otel';
export const PACKAGE_VERSION = '0.1.0';
