/*
 * Calling code mcp-otel does not own (user hooks, the activity store, the SDK's own methods) without ever
 * letting its failure reach the host: the one place that knows about sync throws and async rejections.
 */

/** Whether a value is a promise or any other thenable (hooks, stores and SDK methods may be async). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/** A rejection of `result`, if it is a promise, goes to `onError` (never unhandled). */
function catchRejection(result: unknown, onError: (err: unknown) => void): void {
  if (isThenable(result)) result.then(undefined, onError);
}

/**
 * Runs `fn`; a throw, or the rejection of the promise it returns, goes to `onError` and never to the caller nor
 * to the process as an unhandled rejection. Returns what `fn` returned, or undefined if it threw.
 */
export function callSafely<T>(fn: () => T, onError: (err: unknown) => void): T | undefined {
  try {
    const result = fn();
    catchRejection(result, onError);
    return result;
  } catch (err) {
    onError(err);
    return undefined;
  }
}

/**
 * `callSafely` for per-request paths: calls `target.method(a, b)` without allocating a closure; `onError` should be
 * a long-lived function.
 */
export function callMethodSafely<A, B>(target: object, method: (this: never, a: A, b: B) => unknown, a: A, b: B, onError: (err: unknown) => void): void {
  try {
    catchRejection((method as (a: A, b: B) => unknown).call(target, a, b), onError);
  } catch (err) {
    onError(err);
  }
}

/** Calls `resolved` or `rejected` when `result` settles; `resolved` at once if it is not a promise. */
export function whenSettled(result: unknown, resolved: () => void, rejected: (err: unknown) => void): void {
  if (isThenable(result)) result.then(resolved, rejected);
  else resolved();
}
