import { Server as NetServer, type Socket } from 'node:net';
import type { ListenerCopy } from '@pre/core';
import { closeFd } from './stdin-slot.js';

/**
 * Copies kept ready per listener, so that resuming after a request never waits for an IPC round trip
 * to the arbiter (only for listeners that are not on fd 0; see stdin-slot.ts).
 */
export const SPARE_COPIES = 2;

export interface AcceptorOptions {
  readonly index: number;
  /** The listener's fd inherited from the arbiter at spawn (never listened on here). */
  readonly inheritedFd: number;
  readonly backlog: number;
  readonly fetchCopy: (index: number) => Promise<ListenerCopy>;
  /** Called synchronously from the accept callback: the place to stop accepting (see `pause`). */
  readonly onConnection: (socket: Socket) => void;
  /** A copy could not be had, or listening failed. */
  readonly onError: (err: Error) => void;
  /** This listener has a copy at fd 0 (see stdin-slot.ts): accept there instead of on a new copy each time. */
  readonly onStdin: boolean;
}

/**
 * Accepts on one listener only while the worker is idle. Node cannot pause accept on a listening
 * handle, and closing it closes its fd for good, so `pause` closes it and each `open` listens on a
 * new copy of the socket (all copies share the kernel's one accept queue), or again on fd 0 when the
 * listener has a copy there. A busy worker is simply not in accept, and queued connections go to
 * whichever worker listens next.
 */
export class Acceptor {
  readonly #options: AcceptorOptions;
  // The same options node:http gives its own net.Server, so the socket suits http's connection listener.
  readonly #server = new NetServer({ allowHalfOpen: true, noDelay: true });
  readonly #ready: ListenerCopy[] = [];
  #pending = 0;
  #onError: (err: Error) => void = () => {};
  #wantOpen = false;
  #stopped = false;
  /** Set by openFinal: no more copies are asked for. */
  #final = false;
  /** Settles with the first listen, or with the first error before it. */
  readonly firstListen: Promise<void>;

  constructor(options: AcceptorOptions) {
    this.#options = options;
    this.#server.on('connection', options.onConnection);
    this.firstListen = new Promise((resolve, reject) => {
      this.#server.once('listening', resolve);
      this.#onError = (err) => {
        reject(err);
        options.onError(err);
      };
    });
    this.#server.on('error', (err) => this.#onError(err));
  }

  /** Start accepting as soon as a copy is at hand (at once when a spare is ready). */
  open(): void {
    this.#wantOpen = true;
    this.#listenIfWanted();
  }

  /**
   * Accept again during a graceful stop, on fd 0 or a spare copy at hand, asking the arbiter for no more
   * (it lets go of its sockets when it stops). False when there is nothing to listen on.
   */
  openFinal(): boolean {
    this.#final = true;
    if (this.#stopped || (!this.#options.onStdin && this.#ready.length === 0)) return false;
    this.open();
    return true;
  }

  /**
   * Stop accepting. Called from the 'connection' event, it closes the fd synchronously, inside libuv's
   * accept loop, which then ends: one wake-up can never accept a second connection into this worker.
   */
  pause(): void {
    this.#wantOpen = false;
    if (this.#server.listening) this.#server.close();
  }

  /**
   * Stop accepting for good and close every fd of the socket this process holds: the spare copies, fd 0
   * (libuv leaves it open) and the inherited one. Once the arbiter and the other workers have too, the
   * socket is closed and new connections are refused instead of queued.
   */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.pause();
    for (const copy of this.#ready.splice(0)) copy.close();
    if (this.#options.onStdin) closeFd(0);
    if (this.#options.inheritedFd >= 0) closeFd(this.#options.inheritedFd);
  }

  #listenIfWanted(): void {
    if (!this.#wantOpen || this.#stopped || this.#server.listening) return;
    if (this.#options.onStdin) {
      this.#server.listen({ fd: 0 }, this.#options.backlog); // node 20 ignores a backlog inside the options with fd
      return;
    }
    const copy = this.#ready.shift();
    this.#refill();
    // No copy yet: the pending request calls back here when it arrives.
    if (copy) this.#server.listen(copy.handle, this.#options.backlog);
  }

  #refill(): void {
    while (!this.#stopped && !this.#final && !this.#options.onStdin && this.#ready.length + this.#pending < SPARE_COPIES) {
      this.#pending++;
      this.#options.fetchCopy(this.#options.index).then(
        (copy) => {
          this.#pending--;
          if (this.#stopped) return copy.close();
          this.#ready.push(copy);
          this.#listenIfWanted();
        },
        (err: unknown) => {
          this.#pending--;
          this.#onError(err instanceof Error ? err : new Error(String(err)));
        },
      );
    }
  }
}
