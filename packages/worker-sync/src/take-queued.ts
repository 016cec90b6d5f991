/**
 * How long a draining worker waits for a connection the queue said was there: another worker draining
 * the same socket may have taken it, so the queue is read again after this. On a unix socket (queue
 * length unknown) this much silence means the queue is empty.
 */
export const DRAIN_IDLE_MS = 30;
/** Silences in a row after which a queue that still reads non-empty is left (connections that cannot be accepted). */
export const DRAIN_MAX_IDLE = 10;

export interface QueuedConnections {
  /** Connections waiting in the kernel's accept queue now; null when that cannot be known. */
  length(): number | null;
  /** True for each connection taken (at once for one taken since the last call), false after `idleMs` without one. */
  nextArrival(idleMs: number): Promise<boolean>;
}

export interface TakeOptions {
  readonly idleMs: number;
  /** At most this many (the listener's backlog: no more can have been queued at once). */
  readonly limit: number;
  /** True once the stop is no longer graceful. */
  readonly cancelled: () => boolean;
}

/**
 * Takes the connections waiting in one listener's accept queue (the caller listens meanwhile) until the
 * queue reads empty; with an unknown length, until `idleMs` passes with no connection. Returns how many.
 */
export async function takeQueued(queue: QueuedConnections, options: TakeOptions): Promise<number> {
  let taken = 0;
  let idle = 0;
  while (taken < options.limit && idle < DRAIN_MAX_IDLE && !options.cancelled()) {
    const waiting = queue.length();
    if (waiting === 0) break;
    if (await queue.nextArrival(options.idleMs)) {
      taken++;
      idle = 0;
    } else if (waiting === null) break;
    else idle++; // Another worker took it: read the queue again.
  }
  return taken;
}
