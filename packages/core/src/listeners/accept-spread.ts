import { Server as NetServer, type Socket } from 'node:net';
import type { Logger } from '../logging/error-log.js';

/** Something to listen on: a copy received from the arbiter (`handle`), or an fd number (in a worker thread). */
export interface SpreadCopy {
  readonly fd: number;
  readonly handle?: object;
  /** Closes this copy only (a spare never listened on, at stop). */
  close(): void;
}

export interface AcceptSpreadOptions {
  /** node's `backlog` for each listen (node 20 ignores one inside the options object when given an fd). */
  readonly backlog: number;
  /** A new copy of the same listening socket (asked for in the background, kept as a spare). */
  readonly fetchCopy: () => Promise<SpreadCopy>;
  /**
   * A spare could not be had (`accepting`: no more are asked for; the worker keeps accepting where it
   * listens, only the spreading is lost), or listening again on one failed (the worker no longer accepts).
   */
  readonly onError: (err: Error, accepting: boolean) => void;
  /** Each pause is logged at debug level. */
  readonly log: Pick<Logger, 'debug'>;
  /** False: only listen (one worker has nobody to leave a burst to). */
  readonly enabled?: boolean;
}

/**
 * A worker whose open connections grow by BURST within WINDOW_MS yields: it stops accepting for PAUSE_MS.
 * Measured with 2 workers, 64 keep-alive connections from idle (docs/architecture.md, "Balance").
 */
const BURST = 3;
const WINDOW_MS = 5;
const PAUSE_MS = 2;
/**
 * keepalive_rebalance: how long a worker letting go of connections leaves new ones to the others
 * (`leaveFor`). Their clients reconnect as soon as their next response says `Connection: close`; without
 * the pause, the worker that is already running wins most of those accepts again (measured: 3 of 4).
 */
export const REBALANCE_PAUSE_MS = 200;
/** Spare copies kept at hand, so that a pause never waits for the arbiter. */
const SPARES = 3;

/**
 * Spreads bursts of new connections over the worker processes sharing one listening socket. On a shared
 * socket, every process is woken per connection, and the one already running wins nearly every accept:
 * it takes a whole burst from idle and keeps it (keep-alive). Node cannot pause accepting. So when this
 * worker's open connections grow by BURST within WINDOW_MS, it closes the server's fd (inside libuv's
 * accept loop, which then ends) and leaves what is queued to the other processes for PAUSE_MS, then
 * listens again on a spare copy of the socket it holds already (all copies share the kernel's one accept
 * queue) and asks the arbiter for another in the background. Connections that arrive one at a time, or
 * a steady load where connections close as fast as they open, never pause anything; without a spare at
 * hand the server keeps accepting.
 */
export class AcceptSpread {
  readonly #server: NetServer;
  readonly #options: AcceptSpreadOptions;
  readonly #spares: SpreadCopy[] = [];
  #pending = 0;
  #open = 0;
  #windowStart = -Infinity;
  #openAtWindowStart = 0;
  #resume: NodeJS.Timeout | null = null;
  #stopped = false;
  #noCopies = false;
  #pauses = 0;

  /** Call once the server is set up (PROXY protocol reader included), before `listen`. */
  constructor(server: NetServer, options: AcceptSpreadOptions) {
    this.#server = server;
    this.#options = options;
    if (options.enabled !== false) server.on('connection', (socket: Socket) => this.#onConnection(socket));
  }

  /** Times this worker left part of a burst to the others. */
  get pauses(): number {
    return this.#pauses;
  }

  /** Starts serving on `fd` (the inherited socket) and gets spares ready. Resolves once listening. */
  async listen(fd: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ fd }, this.#options.backlog);
      this.#server.once('listening', () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    // Later errors come from listening again on a spare.
    this.#server.on('error', (err) => this.#options.onError(err, false));
    if (this.#options.enabled !== false) this.#refill();
  }

  /** Stops for good: no listening again after a pause; the spares are closed. The caller closes the server. */
  stop(): void {
    this.#stopped = true;
    if (this.#resume) clearTimeout(this.#resume);
    for (const copy of this.#spares.splice(0)) copy.close();
  }

  #onConnection(socket: Socket): void {
    this.#open++;
    socket.once('close', () => this.#open--);
    if (this.#stopped || this.#resume) return;
    const now = performance.now();
    if (now - this.#windowStart > WINDOW_MS) {
      this.#windowStart = now;
      this.#openAtWindowStart = this.#open - 1;
    }
    if (this.#open - this.#openAtWindowStart < BURST || this.#spares.length === 0) return;
    this.#pauses++;
    this.#options.log.debug(`Worker (pid: ${process.pid}) leaves a burst of new connections to the other workers for ${PAUSE_MS} ms`);
    this.#windowStart = -Infinity;
    this.#pause(PAUSE_MS);
  }

  /**
   * Leaves new connections to the other workers for `ms` (keepalive_rebalance: the connections this
   * worker is letting go of reconnect elsewhere). Uses a spare, or first asks for one when none is at hand
   * (a worker started alone keeps none); resolves once paused, or at once when it cannot pause.
   */
  async leaveFor(ms: number): Promise<void> {
    if (this.#stopped || this.#resume) return;
    if (this.#spares.length === 0) {
      if (this.#noCopies) return;
      let copy: SpreadCopy;
      try {
        copy = await this.#options.fetchCopy();
      } catch {
        return; // the worker keeps accepting: the connections let go of may land here again
      }
      if (this.#stopped) return copy.close();
      this.#spares.push(copy);
      if (this.#resume) return;
    }
    this.#pause(ms);
  }

  #pause(ms: number): void {
    // net.Server's close stops the listening handle only (http.Server's would cut idle keep-alive connections).
    NetServer.prototype.close.call(this.#server);
    this.#resume = setTimeout(() => this.#listenAgain(), ms);
  }

  #listenAgain(): void {
    this.#resume = null;
    if (this.#stopped) return;
    const copy = this.#spares.shift()!;
    if (copy.handle) this.#server.listen(copy.handle, this.#options.backlog);
    else this.#server.listen({ fd: copy.fd }, this.#options.backlog);
    if (this.#options.enabled !== false) this.#refill();
  }

  #refill(): void {
    while (!this.#stopped && !this.#noCopies && this.#spares.length + this.#pending < SPARES) {
      this.#pending++;
      this.#options.fetchCopy().then(
        (copy) => {
          this.#pending--;
          if (this.#stopped) copy.close();
          else this.#spares.push(copy);
        },
        (err: unknown) => {
          this.#pending--;
          if (this.#noCopies || this.#stopped) return;
          this.#noCopies = true;
          this.#options.onError(err instanceof Error ? err : new Error(String(err)), true);
        },
      );
    }
  }
}
