/**
 * Admits the first `max()` distinct values and answers `overflow` for later ones: how client-chosen values
 * (tool names, methods, tracking IDs) stay bounded on metrics. Remembers only the admitted values.
 */
export class ValueLimiter {
  private readonly admitted = new Set<string>();

  constructor(
    private readonly max: () => number,
    private readonly overflow: string,
  ) {}

  admit(value: string): string {
    if (this.admitted.has(value)) return value;
    if (this.admitted.size >= this.max()) return this.overflow;
    this.admitted.add(value);
    return value;
  }
}
