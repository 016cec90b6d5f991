/**
 * How long a draining worker waits in accept for a connection the queue said was there: another
 * worker draining the same socket may have taken it, so the queue is read again after this.
 * On a unix socket (queue length unknown) this much silence means the queue is empty.
 */
export const DRAIN_IDLE_MS = 30;

export interface QueuedConnections {
  /** Connections waiting in the kernel's accept queue now; null when that cannot be known. */
  length(): number | null;
  /** Accepts one connection: true once it has been handed on, false after `idleMs` without one. */
  acceptOne(idleMs: number): Promise<boolean>;
}

export interface TakeOptions {
  readonly idleMs: number;
  /** At most this many (the listener's backlog: no more can have been queued at once). */
  readonly limit: number;
  /** True once the stop is no longer graceful. */
  readonly cancelled: () => boolean;
}

/**
 * Takes the connections waiting in one listener's accept queue, one accept at a time, until the queue
 * reads empty. With an unknown length, until `idleMs` passes with no connection. Returns how many.
 */
export async function takeQueued(queue: QueuedConnections, options: TakeOptions): Promise<number> {
  let taken = 0;
  while (taken < options.limit && !options.cancelled()) {
    const waiting = queue.length();
    if (waiting === 0) break;
    if (await queue.acceptOne(options.idleMs)) taken++;
    else if (waiting === null) break;
    // Known length but nothing came: another worker took it; read the queue again.
  }
  return taken;
}
