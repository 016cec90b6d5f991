/**
 * The entry of one worker thread: it loads the app itself, runs a plain node:http server on its own copy
 * of each listening socket, and reports to the main thread (finished requests in batches, pre_request
 * hooks, log lines). It is a `Worker` of its own so that `createNodeServer` gives it exactly what the
 * async worker has: request limits and timeouts, 4xx for malformed requests, 500s, fetch apps, the
 * access log entry and keep-alive handling.
 */
import { once } from 'node:events';
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import {
  HttpDrain, Worker, createNodeServer, loadApp, runLifecycleHook,
  type AccessLog, type AccessLogEntry, type LoadedApp, type LogLevel, type RequestInfo, type ResponseInfo, type Settings,
} from '@pre/core';
import { AcceptBalance } from './accept-balance.js';
import { headersInFormat, toWireEntry, type FinishedRecord, type MainMessage, type ThreadData, type ThreadMessage } from './protocol.js';
import { SharedThreadState } from './shared-state.js';
import { ThreadLogger } from './thread-logger.js';

const port = parentPort!;
const data = workerData as ThreadData;
const post = (message: ThreadMessage): void => port.postMessage(message);
const noop = (): void => {};
/** Access log lines and post_request hooks wait at most this long in a thread, or until MAX_BATCH of them. */
const FLUSH_MS = 20;
const MAX_BATCH = 256;

class ThreadWorker extends Worker {
  readonly #drain = new HttpDrain();
  readonly #state = new SharedThreadState(data.state);
  readonly #headers = headersInFormat(String(data.settings.access_log_format ?? ''));
  readonly #pendingHooks = new Map<number, () => void>();
  readonly #balance = this.settings.threads > 1 ? new AcceptBalance(data.balance, data.index) : null;
  #hookId = 0;
  #seq = 0;
  #current: ServerResponse | null = null;
  #records: FinishedRecord[] = [];
  #flushTimer: NodeJS.Timeout | null = null;

  async run(): Promise<void> {
    this.#watchHeaders();
    for (const fd of data.fds) {
      const server = createNodeServer(this, this.#drain);
      server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => this.#track(req, res));
      const balance = this.#balance;
      if (balance) server.on('connection', (socket: Socket) => balance.onConnection(socket));
      server.listen({ fd }, this.settings.backlog); // node 20 ignores a backlog inside the options with an fd
      await once(server, 'listening');
    }
  }

  async stop(graceful: boolean): Promise<void> {
    if (graceful) await this.#drain.drain();
    else this.#drain.closeAll();
    this.#flush();
  }

  hookDone(id: number): void {
    const resolve = this.#pendingHooks.get(id);
    this.#pendingHooks.delete(id);
    resolve?.();
  }

  /** pre_request runs in the main thread (hooks are functions of the config file): ask and wait. */
  override requestStarted(request: RequestInfo): Promise<void> {
    if (!data.hooks.preRequest) return Promise.resolve();
    const id = ++this.#hookId;
    return new Promise((resolve) => {
      this.#pendingHooks.set(id, resolve);
      post({ type: 'pre_request', id, request });
    });
  }

  /**
   * Counted, logged and post_request-ed in the main thread: a bare count goes through shared memory;
   * access log entries and hook data in batched messages, at most one per FLUSH_MS.
   */
  override requestFinished(entry: AccessLogEntry | null, request?: RequestInfo, response?: ResponseInfo): void {
    const hook = data.hooks.postRequest && request && response;
    if (!entry && !hook) {
      this.#state.countFinished();
      return;
    }
    const wire = entry && toWireEntry(entry, this.#headers);
    this.#records.push(hook ? { entry: wire, request, response } : { entry: wire });
    if (this.#records.length >= MAX_BATCH) this.#flush();
    else this.#flushTimer ??= setTimeout(() => this.#flush(), FLUSH_MS);
  }

  #flush(): void {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = null;
    if (this.#records.length === 0) return;
    post({ type: 'finished', records: this.#records });
    this.#records = [];
  }

  /** Publishes the request this thread is about to run, for the main thread's hung-thread watchdog. */
  #track(req: IncomingMessage, res: ServerResponse): void {
    const seq = this.#seq = this.#seq >= 0x7fffffff ? 1 : this.#seq + 1;
    const fd = (req.socket as Socket & { _handle?: { fd?: number } })._handle?.fd ?? -1;
    this.#current = res;
    this.#state.requestStarted(seq, fd, req.method ?? '', req.url ?? '');
    this.#state.addInFlight(1);
    this.#balance?.onRequest(req.socket);
    res.once('close', () => {
      this.#state.requestFinished(seq);
      this.#state.addInFlight(-1);
      this.#balance?.onResponseClosed();
      if (this.#current === res) this.#current = null;
    });
  }

  /** Every response's headers go through writeHead (write/end/flushHeaders call it implicitly). */
  #watchHeaders(): void {
    const proto = ServerResponse.prototype;
    const writeHead = proto.writeHead;
    const worker = this;
    proto.writeHead = function (this: ServerResponse, ...args: unknown[]) {
      if (this === worker.#current) worker.#state.headersSent();
      return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof proto.writeHead;
  }
}

/** The settings as the thread sees them: hooks are placeholders, run by the main thread. */
function threadSettings(): Settings {
  return {
    ...data.settings,
    pre_request: data.hooks.preRequest ? noop : null,
    post_request: data.hooks.postRequest ? noop : null,
  } as unknown as Settings;
}

async function main(): Promise<void> {
  const state = new SharedThreadState(data.state);
  const beat = setInterval(() => state.beat(), data.beatMs);
  beat.unref();
  const settings = threadSettings();
  const log = new ThreadLogger(port, settings.loglevel as LogLevel);
  let worker: ThreadWorker;
  let app: LoadedApp;
  // Each thread has its own copy of the app, so each runs the app's lifecycle hooks (a pool per thread).
  const info = { pid: process.pid, age: data.age, workerClass: String(settings.worker_class), log };
  try {
    app = await loadApp(settings.app ?? '', process.cwd(), settings.app_shape);
    await runLifecycleHook(app, 'onWorkerStart', info, settings.timeout * 1000, 'timeout');
    worker = new ThreadWorker({
      settings,
      app,
      listeners: [],
      log,
      // Only `enabled` is read here: entries are written by the main thread's access log.
      accessLog: { enabled: data.accessLog } as unknown as AccessLog,
      age: data.age,
      workerClass: String(settings.worker_class),
      onRetire: noop,
      requestListenerCopy: () => Promise.reject(new Error('threads do not copy listeners')),
    });
    await worker.run();
  } catch (err) {
    post({ type: 'boot_error', message: err instanceof Error && err.stack ? err.stack : String(err) });
    return;
  }
  port.on('message', (message: MainMessage) => {
    if (message.type === 'pre_request_done') worker.hookDone(message.id);
    else if (message.type === 'stop') {
      worker.alive = false;
      void worker
        .stop(message.graceful)
        .then(() => runLifecycleHook(app, 'onWorkerStop', info, settings.graceful_timeout * 1000, 'graceful_timeout'))
        .catch((err: unknown) => log.warning(err instanceof Error ? err.message : String(err)))
        .then(() => post({ type: 'stopped' }));
    }
  });
  post({ type: 'listening' });
}

void main();
