/*
 * The one way tests wait: for a condition (polled, bounded), for a promise (bounded), for pending callbacks to
 * run (`settle`), or for time itself to pass where the test is about time (`delay`).
 */

/** `promise`, or a rejection after `ms` (the timer is cleared either way). */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/** Resolves once `predicate()` holds, polling every `every` ms; rejects naming `what` after `ms`. */
export async function waitUntil(predicate: () => unknown, ms: number, what: string, every = 10): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await delay(every);
  }
}

/**
 * Lets everything already scheduled run: promise callbacks, then a turn of the event loop (I/O and
 * `setImmediate` callbacks). Checks of "exactly once" come after this, not after a guessed sleep.
 */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref?.());
}
