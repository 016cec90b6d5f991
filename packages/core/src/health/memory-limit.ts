const MIB = 1024 * 1024;

/**
 * `max_worker_memory`: compares the worker's RSS with the limit on each heartbeat tick and calls
 * `exceeded` once, with the reason to log (the figure and the limit).
 */
export class MemoryLimit {
  readonly #limitMiB: number;
  readonly #exceeded: (reason: string) => void;
  #tripped = false;

  constructor(limitMiB: number, exceeded: (reason: string) => void) {
    this.#limitMiB = limitMiB;
    this.#exceeded = exceeded;
  }

  /** True once the limit was exceeded. */
  get tripped(): boolean {
    return this.#tripped;
  }

  /** `rss` in bytes; process.memoryUsage.rss() reads it from the OS without walking the heap. */
  check(rss: number = process.memoryUsage.rss()): void {
    if (this.#tripped || this.#limitMiB <= 0) return;
    const mib = rss / MIB;
    if (mib <= this.#limitMiB) return;
    this.#tripped = true;
    this.#exceeded(`max_worker_memory (${Math.round(mib)} MiB > ${this.#limitMiB} MiB)`);
  }
}
