import { DRAIN_IDLE_MS } from '@pre/core';

const TICK_MS = 50;

/**
 * Request accounting for a graceful stop. uWS cannot list or close idle keep-alive connections, so
 * once the listeners are closed every response carries `Connection: close`, and the app is closed
 * only when no request is in flight and none has started for DRAIN_IDLE_MS: a client still sending
 * on a kept-alive connection gets its answer (and a close) instead of a reset.
 */
export class UwsDrain {
  #draining = false;
  #inFlight = 0;
  #lastStart = 0;

  /** Set once `quiet()` began: every response then carries `Connection: close`. */
  get draining(): boolean {
    return this.#draining;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  begin(): void {
    this.#inFlight++;
    if (this.#draining) this.#lastStart = performance.now();
  }

  end(): void {
    this.#inFlight--;
  }

  /** Starts draining; resolves once the server has been quiet for DRAIN_IDLE_MS. */
  quiet(): Promise<void> {
    this.#draining = true;
    this.#lastStart = performance.now();
    return new Promise((resolve) => {
      const timer = setInterval(() => {
        if (this.#inFlight === 0 && performance.now() - this.#lastStart >= DRAIN_IDLE_MS) {
          clearInterval(timer);
          resolve();
        }
      }, TICK_MS);
    });
  }
}
