import { CALLER_FAULT_CODES, ERROR_TYPE_TOOL_ERROR, VALUE_OTHER } from '../semconv';
import { METHOD_TOOLS_CALL } from './methods';

/** How a response is recorded: see the MCP semantic conventions, "Recording errors". */
interface ResponseClassification {
  /** `rpc.response.status_code` value, when the response is a JSON-RPC error. */
  statusCode?: string;
  /** `error.type` value; absent when the response is not a server error. */
  errorType?: string;
  /** Span status description for server errors. */
  message?: string;
}

const MCP_ERROR_PREFIX = /^MCP error -?\d+: /;
const MAX_MESSAGE_LENGTH = 512;
/** SDK 1.x reports request-schema (Zod) failures as -32603 with the issues as a JSON array. */
const INTERNAL_ERROR = -32603;
const SUCCESS: ResponseClassification = {};
const TOOL_ERROR: ResponseClassification = { errorType: ERROR_TYPE_TOOL_ERROR };

/** Removes the SDK's `MCP error N: ` prefix and caps the length. */
export function cleanErrorMessage(message: unknown): string | undefined {
  if (typeof message !== 'string' || message === '') return undefined;
  const stripped = message.replace(MCP_ERROR_PREFIX, '');
  return stripped.length > MAX_MESSAGE_LENGTH ? stripped.slice(0, MAX_MESSAGE_LENGTH) : stripped;
}

/**
 * True for SDK 1.x's way of rejecting a request whose params fail the method's
 * schema: code -32603 with a message that is a JSON array of validation issues.
 * The handler never ran, so it is the caller's fault, like -32602.
 */
function isSchemaRejection(code: number, message: unknown): boolean {
  return code === INTERNAL_ERROR && typeof message === 'string' && message.startsWith('[') && message.includes('"code"');
}

/** Classifies a response the server sent, per the server-side rules (genai PR #404). */
export function classifyResponse(method: string, response: { result?: unknown; error?: { code?: unknown; message?: unknown } }): ResponseClassification {
  const error = response.error;
  if (error !== undefined && error !== null) {
    const code = typeof error.code === 'number' ? error.code : undefined;
    const statusCode = code === undefined ? undefined : String(code);
    if (code !== undefined && (CALLER_FAULT_CODES.has(code) || isSchemaRejection(code, error.message))) {
      return { statusCode };
    }
    return { statusCode, errorType: statusCode ?? VALUE_OTHER, message: cleanErrorMessage(error.message) };
  }
  const result = response.result as { isError?: unknown } | undefined;
  if (method === METHOD_TOOLS_CALL && result !== null && typeof result === 'object' && result.isError === true) {
    return TOOL_ERROR;
  }
  return SUCCESS;
}
