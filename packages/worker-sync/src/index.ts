import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { HttpDrain, Worker, createNodeServer, type WorkerCapabilities, type WorkerOptions } from '@pre/core';
import { AcceptQueue, ACCEPT_QUEUE_READABLE } from './accept-queue.js';
import { Acceptor } from './acceptor.js';
import { RequestTimeout } from './request-timeout.js';
import { moveCopyToStdin } from './stdin-slot.js';
import { DRAIN_IDLE_MS, takeQueued } from './take-queued.js';

/** `PRE_SYNC_ACCEPT=copies` turns off the fd 0 fast path (for comparisons and tests). */
const USE_STDIN = process.env.PRE_SYNC_ACCEPT !== 'copies';

/**
 * `--worker-class sync`: Gunicorn's sync worker. One connection, hence one request, at a time per
 * process; every response closes its connection; the heartbeat is the request timeout. The worker
 * accepts only while idle (see Acceptor), so no connection waits behind a busy worker while another
 * one is idle.
 */
export default class SyncWorker extends Worker {
  /**
   * createNodeServer's HTTP features, one connection at a time: a keepalive above 0 and a
   * worker_connections limit mean nothing here (every response closes its connection), so pre refuses them.
   */
  static override readonly capabilities: WorkerCapabilities = {
    tls: true, proxyProtocol: true, forwardedHeaders: true, headersTimeout: true, requestTimeout: true,
    keepalive: false, keepaliveOff: true, workerConnections: false, backlog: true, unixSockets: true, inheritedSockets: true,
    threads: false, nodeApps: true, fetchApps: true, websockets: false, limitRequestBody: true, http2: false,
    shedConnections: false, // keepalive > 0 is refused: no keep-alive connection to move
  };

  readonly #drain = new HttpDrain();
  readonly #server: Server;
  readonly #timeout: RequestTimeout;
  readonly #acceptors: Acceptor[] = [];
  /** The connection being served; null while idle. */
  #busy: Socket | null = null;
  /**
   * Connections accepted while busy: those taken from the accept queue when a graceful stop begins,
   * served one at a time after the current one (outside a stop, none was ever seen: see README).
   */
  readonly #waiting: Socket[] = [];
  #booted = false;
  #retiring = false;
  /** Set by a fast stop: cuts a graceful one short. */
  #cut = false;
  /** While a graceful stop takes the accept queue: connections taken and not yet counted, and who waits for one. */
  #taking = false;
  #arrivals = 0;
  #onArrival: (() => void) | null = null;
  /** During a graceful stop: called once the last connection has closed. */
  #onIdle: (() => void) | null = null;

  constructor(options: WorkerOptions) {
    super(options);
    this.#timeout = new RequestTimeout(this.settings.timeout, this);
    this.#server = createNodeServer(this, this.#drain);
    // A pipelined second request never reaches the app: node:http queues it, and the connection closes after the first.
    this.#server.maxRequestsPerSocket = 1;
    this.#server.prependListener('request', (req, res) => {
      res.shouldKeepAlive = false;
      this.#timeout.track(req, res);
    });
  }

  async run(): Promise<void> {
    process.on('SIGABRT', () => this.#timeout.logAborted());
    const onStdin = USE_STDIN && this.listeners.length > 0 && (await moveCopyToStdin(() => this.duplicateListener(0)));
    this.log.debug(`Sync worker (pid: ${process.pid}) accepts on ${onStdin ? 'fd 0 for the first listener' : 'a new listener copy per connection'}`);
    for (let index = 0; index < this.listeners.length; index++) {
      const acceptor = new Acceptor({
        index,
        inheritedFd: this.listeners[index]!.fd,
        backlog: this.settings.backlog,
        fetchCopy: (i) => this.duplicateListener(i),
        onConnection: (socket) => this.#onConnection(socket),
        onError: (err) => this.#onAcceptError(index, err),
        onStdin: onStdin && index === 0,
      });
      this.#acceptors.push(acceptor);
      acceptor.open();
    }
    await Promise.all(this.#acceptors.map((acceptor) => acceptor.firstListen));
    this.#booted = true;
  }

  /** Before boot, run() rejects with the error; after it, a worker that cannot accept any more is replaced. */
  #onAcceptError(index: number, err: Error): void {
    if (!this.#booted) return;
    this.log.error(`Sync worker (pid: ${process.pid}) cannot accept on ${this.listeners[index]!.address}: ${err.message}`);
    this.retire('cannot accept');
  }

  override retire(reason: string): void {
    this.#retiring = true;
    super.retire(reason);
  }

  override heartbeat(): boolean {
    return this.#timeout.beat();
  }

  /**
   * Graceful: first take the connections already waiting in the kernel's accept queue (each would be
   * reset once the last fd of the socket closes), then let go of the socket, so new connections are
   * refused once every process has; serve the taken ones one at a time after the request in flight.
   */
  async stop(graceful: boolean): Promise<void> {
    if (!graceful) return this.#stopNow();
    for (const acceptor of this.#acceptors) acceptor.pause();
    // A worker that retires itself (max_requests) leaves the queue to the others and its replacement.
    const taken = ACCEPT_QUEUE_READABLE && !this.#retiring ? await this.#takeQueued() : 0;
    for (const acceptor of this.#acceptors) acceptor.stop();
    if (this.#cut) return;
    this.log.info(`Graceful stop (pid: ${process.pid}): ${taken} queued connection(s) taken, no longer accepting`);
    await this.#served();
    if (!this.#cut) await this.#drain.drain();
  }

  #stopNow(): void {
    this.#cut = true;
    for (const acceptor of this.#acceptors) acceptor.stop();
    for (const socket of this.#waiting.splice(0)) socket.destroy();
    this.#drain.closeAll();
    this.#onArrival?.();
    this.#onIdle?.();
  }

  /** Listens on each listener in turn while its accept queue holds connections; each goes to #onConnection. */
  async #takeQueued(): Promise<number> {
    this.#taking = true;
    let taken = 0;
    for (const [index, acceptor] of this.#acceptors.entries()) {
      if (!acceptor.openFinal()) continue;
      const queue = new AcceptQueue(this.listeners[index]!.fd);
      taken += await takeQueued(
        { length: () => queue.length(), nextArrival: (idleMs) => this.#nextArrival(idleMs) },
        { idleMs: DRAIN_IDLE_MS, limit: this.settings.backlog, cancelled: () => this.#cut },
      );
      acceptor.pause();
      this.#arrivals = 0;
    }
    this.#taking = false;
    return taken;
  }

  #nextArrival(idleMs: number): Promise<boolean> {
    if (this.#arrivals > 0) {
      this.#arrivals--;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#onArrival = null;
        resolve(false);
      }, idleMs);
      this.#onArrival = () => {
        clearTimeout(timer);
        this.#onArrival = null;
        resolve(!this.#cut);
      };
    });
  }

  /** Resolves once no connection is being served or waiting. */
  #served(): Promise<void> {
    if (!this.#busy && this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#onIdle = () => {
        this.#onIdle = null;
        resolve();
      };
    });
  }

  /** Acceptor#pause closes the listener inside libuv's accept loop, so this is the only connection until it closes. */
  #onConnection(socket: Socket): void {
    // While a stop takes the queue, the acceptor stays open: libuv accepts what is queued in one go.
    if (!this.#taking) for (const acceptor of this.#acceptors) acceptor.pause();
    else if (this.#onArrival) this.#onArrival();
    else this.#arrivals++;
    if (this.#busy) {
      if (this.alive) this.log.warning(`Accepted a connection while busy (pid: ${process.pid}); it waits for the current one`);
      // A reset while waiting must not become an uncaught 'error'; the http server adds its own handler.
      socket.on('error', ignoreError);
      this.#waiting.push(socket);
      return;
    }
    this.#serve(socket);
  }

  #serve(socket: Socket): void {
    this.#busy = socket;
    socket.once('close', () => {
      this.#busy = null;
      this.#next();
    });
    this.#server.emit('connection', socket);
  }

  #next(): void {
    for (let next = this.#waiting.shift(); next; next = this.#waiting.shift()) {
      next.off('error', ignoreError);
      // One the client gave up on while it waited is skipped: its 'close' has been and gone.
      if (!next.destroyed) return this.#serve(next);
    }
    if (this.alive) for (const acceptor of this.#acceptors) acceptor.open();
    else this.#onIdle?.();
  }
}

function ignoreError(): void {}

export { SyncWorker };
