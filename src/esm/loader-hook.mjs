// Registers import-in-the-middle for the modules instrumentations ask for only
// (not every module the application imports).
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
// Instrumentations name the package (`@modelcontextprotocol/sdk`), but applications import deep paths
// (`…/server/mcp.js`), which that name never matches: include the SDK's server and client files by URL as well.
registerOptions.data.include = [
  ...(registerOptions.data.include ?? []),
  /\/@modelcontextprotocol\/sdk\/dist\/esm\/(server\/(index|streamableHttp|sse)|client\/index)\.js$/,
];
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

export function waitForLoaderHook() {
  return waitForAllMessagesAcknowledged();
}
