// Registers import-in-the-middle for the modules instrumentations ask for only
// (not every module the application imports).
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';

const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

export function waitForLoaderHook() {
  return waitForAllMessagesAcknowledged();
}
