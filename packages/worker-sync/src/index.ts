import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { HttpDrain, Worker, createNodeServer, type WorkerCapabilities, type WorkerOptions } from '@pre/core';
import { Acceptor } from './acceptor.js';
import { RequestTimeout } from './request-timeout.js';
import { moveCopyToStdin } from './stdin-slot.js';

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
    threads: false, nodeApps: true, fetchApps: true, websockets: false, http2: false,
  };

  readonly #drain = new HttpDrain();
  readonly #server: Server;
  readonly #timeout: RequestTimeout;
  readonly #acceptors: Acceptor[] = [];
  #booted = false;

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

  override heartbeat(): boolean {
    return this.#timeout.beat();
  }

  async stop(graceful: boolean): Promise<void> {
    for (const acceptor of this.#acceptors) acceptor.stop();
    if (graceful) await this.#drain.drain();
    else this.#drain.closeAll();
  }

  /** Acceptor#pause closes the listener inside libuv's accept loop, so this is the only connection until it closes. */
  #onConnection(socket: Socket): void {
    for (const acceptor of this.#acceptors) acceptor.pause();
    socket.once('close', () => {
      if (this.alive) for (const acceptor of this.#acceptors) acceptor.open();
    });
    this.#server.emit('connection', socket);
  }
}

export { SyncWorker };
