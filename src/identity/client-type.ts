/*
 * Classification of MCP client software from its self-declared clientInfo
 * name. One ordered table: the first matching pattern wins. Extend it here.
 * The value is low-cardinality by construction, so it is safe on metrics.
 */
const CLIENT_TYPES: ReadonlyArray<readonly [RegExp, string]> = [
  [/^claude[-_ ]?code/i, 'claude_code'],
  [/^claude[-_ ]?(ai|desktop)|^claude$/i, 'claude_desktop'],
  [/cursor/i, 'cursor'],
  [/windsurf|codeium/i, 'windsurf'],
  [/roo[-_ ]?code|roo[-_ ]?cline/i, 'roo_code'],
  [/cline/i, 'cline'],
  [/visual studio code|vscode|vs code|github copilot/i, 'vscode'],
  [/^zed/i, 'zed'],
  [/continue/i, 'continue'],
  [/goose/i, 'goose'],
  [/inspector/i, 'mcp_inspector'],
  [/codex/i, 'codex'],
  [/gemini/i, 'gemini_cli'],
  [/chatgpt|openai/i, 'chatgpt'],
  [/librechat/i, 'librechat'],
  [/jetbrains|intellij|pycharm|webstorm/i, 'jetbrains'],
];

const CLIENT_TYPE_OTHER = 'other';
export const CLIENT_TYPE_UNKNOWN = 'unknown';

/** `mcp.client.type` for a clientInfo name; `unknown` when the client sent none. */
export function classifyClient(name: string | undefined): string {
  if (!name) return CLIENT_TYPE_UNKNOWN;
  for (const [pattern, type] of CLIENT_TYPES) if (pattern.test(name)) return type;
  return CLIENT_TYPE_OTHER;
}
