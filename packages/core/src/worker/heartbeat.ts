import { futimesSync } from 'node:fs';

/**
 * The worker side of the heartbeat: touching a file the arbiter also holds open. The arbiter reads the
 * file's ctime, so a slow arbiter never mistakes its own delay for a silent worker (Gunicorn's WorkerTmp).
 */
export class Heartbeat {
  readonly #fd: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(fd: number) {
    this.#fd = fd;
  }

  notify(): void {
    const now = Date.now() / 1000;
    futimesSync(this.#fd, now, now);
  }

  /** Touches the file every `intervalMs` from this thread's event loop, while `beat()` says so. */
  start(intervalMs: number, beat: () => boolean): void {
    this.notify();
    this.#timer = setInterval(() => {
      if (beat()) this.notify();
    }, intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** How often a worker touches its heartbeat for a given timeout: often enough to never look late. */
export function heartbeatInterval(timeoutSeconds: number): number {
  if (timeoutSeconds <= 0) return 1000;
  return Math.max(50, Math.min(1000, (timeoutSeconds * 1000) / 4));
}
