// `require('mcp-otel/register')` / `node --require mcp-otel/register`: start everything from OTEL_* variables.
import { register } from './register';

register();
