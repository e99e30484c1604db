// `require('mcp-otel/register')` / `node --require mcp-otel/register`: start everything from OTEL_* variables.
// Before an ES module application too: the instrumentation then patches the SDK's ESM classes directly.
import { register } from './register';

register();
