import { PreError, Worker, answerPreRequest, heartbeatInterval, serializableSettings, writeThreadLog, type ListenerCopy, type WorkerCapabilities, type WorkerOptions } from '@pre/core';
import { closeSync } from 'node:fs';
import { writeHungHttp2Response } from './hung-http2-response.js';
import { writeHungResponse } from './hung-response.js';
import { fromWireEntry, type ThreadMessage } from './protocol.js';
import { AcceptBalance } from './accept-balance.js';
import { splitShed } from './shed-split.js';
import type { CurrentRequest } from './shared-state.js';
import { ThreadSlot } from './thread-slot.js';

/**
 * Each replacement keeps its predecessor's listener-copy objects referenced (see ThreadSlot#copies);
 * after this many the process recycles itself gracefully instead of growing.
 */
const MAX_REPLACEMENTS = 1000;
/**
 * Spare listener copies handed to threads for AcceptSpread stay referenced here (~1 KB each: see
 * ThreadSlot#copies for why they are never closed); after this many the process recycles itself gracefully.
 */
const MAX_SPREAD_COPIES = 10_000;
/** A thread that does not end this long after terminate() is stuck in native code: recycle the process. */
const TERMINATE_GRACE_MS = 5000;
/** How often the main thread collects the threads' request counts (for requestCount and max_requests). */
const COUNT_MS = 50;

/**
 * `--worker-class threads`: the app runs on `threads` worker threads of each worker process, each thread
 * a plain node:http server on its own copy of every listening socket, so CPU-bound handlers use several
 * cores in one process. The main thread serves nothing: it starts and replaces threads, kills threads
 * stuck in a request for `timeout` seconds, and does the per-process duties (request accounting for
 * max_requests, access log, request hooks) from the threads' batched reports.
 */
export default class ThreadsWorker extends Worker {
  /** Each thread is a createNodeServer (worker_connections is split between threads); no WebSockets. */
  static override readonly capabilities: WorkerCapabilities = {
    tls: true, proxyProtocol: true, forwardedHeaders: true, headersTimeout: true, requestTimeout: true,
    keepalive: true, keepaliveOff: true, workerConnections: true, backlog: true, unixSockets: true, inheritedSockets: true,
    threads: true, nodeApps: true, fetchApps: true, websockets: false, limitRequestBody: true, http2: true,
    shedConnections: true,
  };
  /** Each thread runs onWorkerStart/onWorkerStop on its own copy of the app; the main thread serves nothing. */
  static readonly runsAppLifecycle = true;

  readonly #slots: (ThreadSlot | null)[] = [];
  readonly #balance = AcceptBalance.buffer(this.settings.threads);
  /** Set when the listeners cannot be copied (fd:// binds): every thread listens on the inherited fds. */
  #sharedFds: number[] | null = null;
  #watchdog: NodeJS.Timeout | null = null;
  #counter: NodeJS.Timeout | null = null;
  /** Every thread whose finished requests may not all be counted yet, the ended ones included. */
  readonly #uncounted = new Set<ThreadSlot>();
  #replacements = 0;
  /** Copies handed to threads as AcceptSpread spares: kept, never closed (the thread owns the fd). */
  readonly #spreadCopies: ListenerCopy[] = [];
  #stopping = false;
  #inheritedClosed = false;

  constructor(options: WorkerOptions) {
    super(options);
    // Requests run in the threads, where the main thread's metrics never see them start.
    options.metrics?.countInFlightWith(() => this.#inFlight());
  }

  /** The current threads' HTTP/1.1 connections, as each thread last published them. */
  override get openConnections(): number {
    return this.#liveSlots().reduce((sum, slot) => sum + slot.state.connections, 0);
  }

  /** keepalive_rebalance: `count` split over the threads by their open connections, each thread closing its part. */
  override shedConnections(count: number): number {
    const slots = this.#liveSlots();
    const shares = splitShed(slots.map((slot) => slot.state.connections), count);
    slots.forEach((slot, i) => {
      if (shares[i]! > 0) slot.send({ type: 'shed_connections', count: shares[i]! });
    });
    return shares.reduce((a, b) => a + b, 0);
  }

  #liveSlots(): ThreadSlot[] {
    return this.#slots.filter((slot): slot is ThreadSlot => slot !== null && slot.booted && !slot.ended && slot.ending === null);
  }

  /** Requests running in the current threads (a terminated thread's are gone with it). */
  #inFlight(): number {
    return this.#slots.reduce((sum, slot) => sum + (slot && !slot.ended ? slot.state.inFlight : 0), 0);
  }

  get #timeoutMs(): number {
    return this.settings.timeout * 1000;
  }

  /** How often threads beat and the watchdog looks: as often as the process beats (a quarter of the timeout, 50 ms to 1 s). */
  get #tickMs(): number {
    return heartbeatInterval(this.settings.timeout);
  }

  async run(): Promise<void> {
    const count = this.settings.threads;
    const firstCopies = await this.#copyListeners(); // decides between own copies and shared fds, once
    const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => this.#startThread(i, i === 0 ? firstCopies : undefined)));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      await Promise.all(this.#slots.map((slot) => slot?.thread.terminate()));
      const reason: unknown = failed.reason;
      throw new PreError('PRE_ERR_WORKER_BOOT', `a worker thread failed to start: ${reason instanceof Error ? reason.message : String(reason)}`);
    }
    if (this.#timeoutMs > 0) this.#watchdog = setInterval(() => this.#checkThreads(), this.#tickMs);
    this.#counter = setInterval(() => this.#collectCounts(), COUNT_MS);
    this.log.debug(`Worker (pid: ${this.pid}) serving on ${count} thread${count === 1 ? '' : 's'}`);
  }

  async stop(graceful: boolean): Promise<void> {
    this.#stopping = true;
    // The fds inherited at spawn keep the socket listening while any of them is open, though this thread
    // never accepts on them: let go of them first, so once the threads stop accepting on their own
    // copies, new connections are refused at once instead of waiting in the backlog until this process
    // exits. (In shared-fd mode the threads listen on these very fds: their servers close them.)
    // Once only: a second close could hit an fd number reused since.
    if (!this.#sharedFds && !this.#inheritedClosed) for (const listener of this.listeners) closeInheritedFd(listener.fd);
    this.#inheritedClosed = true;
    const slots = this.#slots.filter((slot): slot is ThreadSlot => slot !== null);
    await Promise.all(slots.map((slot) => slot.stop(graceful)));
    if (this.#watchdog) clearInterval(this.#watchdog);
    if (this.#counter) clearInterval(this.#counter);
    this.#collectCounts();
  }

  #collectCounts(): void {
    for (const slot of this.#uncounted) {
      const ended = slot.ended;
      for (let n = slot.state.takeFinished(); n > 0; n--) this.requestFinished(null);
      if (ended) this.#uncounted.delete(slot);
    }
  }

  async #startThread(index: number, given?: ListenerCopy[]): Promise<void> {
    const copies = given ?? await this.#copyListeners();
    const slot = new ThreadSlot(index, copies, {
      age: this.age,
      fds: this.#sharedFds ?? copies.map((copy) => copy.fd),
      settings: this.#threadSettings(),
      hooks: { preRequest: Boolean(this.settings.pre_request), postRequest: Boolean(this.settings.post_request) },
      accessLog: this.wantsAccessEntries,
      beatMs: this.#tickMs / 2,
      balance: this.#balance,
      // Copies cannot be made for threads sharing the inherited fds; one worker has nobody to share with.
      spread: !this.#sharedFds && this.settings.workers > 1,
    }, {
      message: (from, message) => this.#onMessage(from, message),
      lost: (from, reason) => this.#onThreadLost(from, reason),
    });
    this.#slots[index] = slot;
    this.#uncounted.add(slot);
    await slot.listening;
  }

  /** A fresh copy of every listener for a new thread, or [] in shared-fd mode. */
  async #copyListeners(): Promise<ListenerCopy[]> {
    if (this.#sharedFds) return [];
    const results = await Promise.allSettled(this.listeners.map((_, i) => this.duplicateListener(i)));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    const copies = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    if (!failed) return copies;
    for (const copy of copies) copy.close(); // never handed to a thread
    if (this.#slots.length > 0) throw failed.reason;
    this.#sharedFds = this.listeners.map((listener) => listener.fd);
    const reason: unknown = failed.reason;
    this.log.warning(`Cannot give each thread its own copy of the listening sockets (${reason instanceof Error ? reason.message : String(reason)}); ` +
      'the threads share the inherited sockets, so a thread that ends recycles this worker process');
    return [];
  }

  /** The settings as data for a thread: hooks stay here; worker_connections is split between threads. */
  #threadSettings(): Record<string, unknown> {
    const settings = serializableSettings(this.settings);
    settings.worker_connections = Math.max(1, Math.ceil(this.settings.worker_connections / this.settings.threads));
    return settings;
  }

  #onMessage(slot: ThreadSlot, message: ThreadMessage): void {
    switch (message.type) {
      case 'finished':
        for (const record of message.records) {
          this.requestFinished(record.entry ? fromWireEntry(record.entry) : null, record.request, record.response);
        }
        return;
      case 'pre_request':
        answerPreRequest(this, message, (answer) => slot.send(answer));
        return;
      case 'log':
        writeThreadLog(this.log, message, `[thread ${slot.index}]`);
        return;
      case 'copy_request':
        this.#sendSpreadCopy(slot, message.id, message.index);
        return;
      default:
        return;
    }
  }

  #sendSpreadCopy(slot: ThreadSlot, id: number, index: number): void {
    if (this.#spreadCopies.length >= MAX_SPREAD_COPIES) {
      slot.send({ type: 'copy', id, fd: -1, error: `${MAX_SPREAD_COPIES} listener copies handed out` });
      return this.retire(`${MAX_SPREAD_COPIES} listener copies handed to threads`);
    }
    this.duplicateListener(index).then(
      (copy) => {
        this.#spreadCopies.push(copy);
        slot.send({ type: 'copy', id, fd: copy.fd });
      },
      (err: unknown) => slot.send({ type: 'copy', id, fd: -1, error: err instanceof Error ? err.message : String(err) }),
    );
  }

  #onThreadLost(slot: ThreadSlot, reason: string): void {
    if (this.#stopping || !this.alive) return;
    this.log.error(`Thread ${slot.index} of worker (pid: ${this.pid}) ${reason}`);
    this.#replace(slot.index);
  }

  #replace(index: number): void {
    if (this.#sharedFds) return this.retire(`thread ${index} ended and the threads share one socket (listeners cannot be copied)`);
    if (++this.#replacements > MAX_REPLACEMENTS) return this.retire(`${MAX_REPLACEMENTS} threads replaced`);
    this.#startThread(index).then(
      () => this.log.info(`Thread ${index} of worker (pid: ${this.pid}) replaced`),
      (err: unknown) => {
        if (this.#stopping) return;
        this.log.error(`Could not replace thread ${index}: ${err instanceof Error ? err.message : String(err)}`);
        this.retire(`thread ${index} could not be replaced`);
      },
    );
  }

  /** The hung-thread watchdog: a thread whose event loop has not ticked for `timeout` is terminated and replaced. */
  #checkThreads(): void {
    const now = Date.now();
    for (const slot of this.#slots) {
      if (slot && slot.booted && slot.ending !== 'hung' && slot.silentFor(now) > this.#timeoutMs) this.#killHung(slot);
    }
  }

  /** What the client of a stuck thread's request gets, written by this thread; the outcome for the log. */
  #answerHung(request: CurrentRequest): string {
    if (request.stream > 0) {
      // HTTP/2: the connection goes with the thread, and its other streams with it. Over TLS (fd -1) nothing can be written from here.
      if (request.fd < 0 || !writeHungHttp2Response(request.fd, request.stream, request.headersSent)) return 'its HTTP/2 connection is closed';
      return request.headersSent
        ? `its stream got RST_STREAM (the response had started) and its connection GOAWAY`
        : 'its client got a 503 on its HTTP/2 stream and its connection GOAWAY';
    }
    const answered = !request.headersSent && request.fd >= 0 && writeHungResponse(request.fd);
    return answered ? 'its client got a 503' : 'its connection is closed (the response had started)';
  }

  #killHung(slot: ThreadSlot): void {
    const request = slot.state.lastRequest();
    let outcome = 'no request was running';
    if (request?.running && slot.state.claim(request.seq)) outcome = this.#answerHung(request);
    const what = request ? `"${request.label}"${request.running ? '' : ' (finished; the last request it started)'}` : 'no request';
    this.log.critical(`THREAD TIMEOUT (pid: ${this.pid}, thread ${slot.index}): ${what} kept the thread busy for more than ${this.settings.timeout}s; ${outcome}; the thread is terminated and replaced`);
    const stopping = slot.ending !== null;
    slot.ending = 'hung';
    const timer = setTimeout(() => this.retire(`thread ${slot.index} could not be terminated`), TERMINATE_GRACE_MS);
    void slot.thread.terminate().finally(() => clearTimeout(timer));
    if (!stopping && !this.#stopping) this.#replace(slot.index);
  }
}

export { ThreadsWorker };

function closeInheritedFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
