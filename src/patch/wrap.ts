import type { DiagLogger } from '@opentelemetry/api';
import { callSafely } from '../safely';

/*
 * Reversible patching: wrappers on a class prototype that only their owner may undo, the mark that keeps a
 * function from being wrapped twice, and the guard every call from patched SDK code into telemetry goes through.
 */

export const PATCHED = Symbol.for('mcp-otel.sdk-v1.patched');

/** Marks wrappers, so a function is never wrapped twice. */
export const WRAPPER = Symbol.for('mcp-otel.wrapper');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fn = (this: any, ...args: any[]) => unknown;

interface PatchRecord {
  /** Who patched: only the owner may unpatch (a second instrumentation must not undo the first). */
  owner: object;
  restore(): void;
}

export type Patchable = Record<string | symbol, unknown> & { [PATCHED]?: PatchRecord };

/** Replaces methods on a prototype with wrappers; `restore` puts back exactly what was there (own or inherited). */
export function wrapMethods(proto: Patchable, owner: object, wrappers: Record<string, (original: Fn) => Fn>): PatchRecord {
  const saved: Array<[string, PropertyDescriptor | undefined]> = [];
  for (const [name, makeWrapper] of Object.entries(wrappers)) {
    const original = proto[name];
    if (typeof original !== 'function') continue;
    saved.push([name, Object.getOwnPropertyDescriptor(proto, name)]);
    Object.defineProperty(proto, name, { value: makeWrapper(original as Fn), writable: true, configurable: true, enumerable: false });
  }
  return {
    owner,
    restore() {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(proto, name, descriptor);
        else delete proto[name];
      }
    },
  };
}

export function markWrapper<F extends Function>(fn: F): F {
  (fn as unknown as { [WRAPPER]?: true })[WRAPPER] = true;
  return fn;
}

/** Runs telemetry from patched SDK code: its failure is logged, never thrown into the SDK. */
export function guard(diag: DiagLogger, fn: () => void): void {
  callSafely(fn, (err) => internalError(diag, err));
}

/** How `guard` reports a failure; per-message paths call telemetry in their own try/catch with it (no closure). */
export function internalError(diag: DiagLogger, err: unknown): void {
  diag.error('mcp-otel: internal error, telemetry for this message is incomplete', err);
}

/** Undoes `patchServerClass` or `patchHttpTransportClass` if `owner` made that patch. */
export function unpatchClass(cls: unknown, owner: object): void {
  const proto = (cls as { prototype?: Patchable } | undefined)?.prototype;
  const record = proto?.[PATCHED];
  if (!proto || !record || record.owner !== owner) return;
  record.restore();
  delete proto[PATCHED];
}
