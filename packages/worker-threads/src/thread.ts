/**
 * The entry of one worker thread: it loads the app itself, runs a plain node:http server on its own copy
 * of each listening socket, and reports to the main thread (finished requests in batches, pre_request
 * hooks, log lines). `ThreadServer` is the `ServedApp` that `createNodeServer` reports to, so a thread
 * has exactly what the async worker has (request limits and timeouts, 4xx for malformed requests, 500s,
 * fetch apps, the access log entry, keep-alive handling) while counting, logging and hooks stay in the
 * main thread's Worker.
 */
import { closeSync } from 'node:fs';
import { ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse, ServerHttp2Stream } from 'node:http2';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import {
  AcceptSpread, HttpDrain, REBALANCE_PAUSE_MS, PreRequestAsker, ThreadLogger, accessLogHeaders, createServedProtocols, loadApp, runLifecycleHook,
  type AccessLogEntry, type LoadedApp, type Logger, type LogLevel, type PreRequestDoneMessage, type RequestInfo, type RequestTracker, type ResponseInfo, type ServedApp, type Settings,
} from '@pre/core';
import { AcceptBalance } from './accept-balance.js';
import { toWireEntry, type FinishedRecord, type MainMessage, type ThreadData, type ThreadMessage } from './protocol.js';
import { SharedThreadState } from './shared-state.js';

const port = parentPort!;
const data = workerData as ThreadData;
const post = (message: ThreadMessage): void => port.postMessage(message);
/** Access log lines and post_request hooks wait at most this long in a thread, or until MAX_BATCH of them. */
const FLUSH_MS = 20;
const MAX_BATCH = 256;

class ThreadServer implements ServedApp {
  readonly settings: Settings;
  readonly app: LoadedApp;
  readonly log: Logger;
  readonly wantsAccessEntries = data.accessLog;
  readonly hasRequestHooks = data.hooks.preRequest || data.hooks.postRequest;
  readonly #drain = new HttpDrain();
  readonly #state = new SharedThreadState(data.state);
  readonly #headers = accessLogHeaders(String(data.settings.access_log_format ?? ''), String(data.settings.log_format ?? 'text'));
  readonly #preRequest = new PreRequestAsker(post);
  readonly #balance = Number(data.settings.threads) > 1 ? new AcceptBalance(data.balance, data.index) : null;
  readonly #spreads: AcceptSpread[] = [];
  readonly #copies = new Map<number, { resolve: (fd: number) => void; reject: (err: Error) => void }>();
  #nextCopyId = 1;
  #seq = 0;
  #current: ServerResponse | null = null;
  #records: FinishedRecord[] = [];
  #flushTimer: NodeJS.Timeout | null = null;

  constructor(settings: Settings, app: LoadedApp, log: Logger) {
    this.settings = settings;
    this.app = app;
    this.log = log;
  }

  async run(): Promise<void> {
    const h2 = (this.settings.http_protocols as readonly string[]).includes('h2');
    this.#watchHeaders(h2 ? [ServerResponse.prototype, http2Response().prototype] : [ServerResponse.prototype]);
    // HTTP/1.1 requests are tracked through the request listener's tracker (no listener of their own);
    // HTTP/2 streams, which that tracker does not see, by a 'request' listener.
    const drain = this.#drain;
    const tracker: RequestTracker = {
      requestStarted: (req, res) => {
        drain.requestStarted(req, res);
        this.#track(req, res);
      },
      requestEnded: (res) => {
        drain.requestEnded(res);
        this.#ended(res);
      },
    };
    const trackHttp2 = (req: Http2ServerRequest, res: Http2ServerResponse): void => {
      this.#track(req as unknown as IncomingMessage, res as unknown as ServerResponse);
      res.once('close', () => this.#ended(res as unknown as ServerResponse));
    };
    for (const [index, fd] of data.fds.entries()) {
      const { listener, http2 } = createServedProtocols(this, drain, { tracker });
      http2?.prependListener('request', trackHttp2);
      const balance = this.#balance;
      if (balance) listener.on('connection', (socket: Socket) => balance.onConnection(socket));
      // Bursts of new connections are shared with the other worker processes (see AcceptSpread).
      const spread = new AcceptSpread(listener, {
        backlog: this.settings.backlog,
        fetchCopy: () => this.#fetchCopy(index),
        onError: (err, accepting) => {
          if (accepting) this.log.warning(`Cannot share bursts of connections with the other workers: ${err.message}`);
          else this.log.error(`Cannot accept any more: ${err.message}`); // the main thread replaces a thread that ends
          if (!accepting) process.exit(1);
        },
        log: this.log,
        enabled: data.spread,
      });
      this.#spreads.push(spread);
      await spread.listen(fd);
    }
  }

  /** A spare copy of listener `index`, made by the main thread (only it can receive fds from the arbiter). */
  #fetchCopy(index: number): Promise<{ fd: number; close(): void }> {
    const id = this.#nextCopyId++;
    return new Promise((resolve, reject) => {
      this.#copies.set(id, { resolve: (fd) => resolve({ fd, close: () => closeFd(fd) }), reject });
      post({ type: 'copy_request', id, index });
    });
  }

  copyArrived(message: { id: number; fd: number; error?: string }): void {
    const pending = this.#copies.get(message.id);
    this.#copies.delete(message.id);
    if (message.error !== undefined || message.fd < 0) pending?.reject(new Error(message.error ?? 'no copy'));
    else if (pending) pending.resolve(message.fd);
    else closeFd(message.fd);
  }

  /** Open HTTP/1.1 connections, published to the main thread on every beat (keepalive_rebalance). */
  get connections(): number {
    return this.#drain.connections;
  }

  /** keepalive_rebalance: `count` of this thread's connections close after their next response. */
  async shed(count: number): Promise<void> {
    await Promise.all(this.#spreads.map((spread) => spread.leaveFor(REBALANCE_PAUSE_MS)));
    const chosen = this.#drain.shed(count);
    this.log.debug(`Lets go of ${chosen} keep-alive connection${chosen === 1 ? '' : 's'}: Connection: close on their next response`);
  }

  async stop(graceful: boolean): Promise<void> {
    for (const spread of this.#spreads) spread.stop();
    if (graceful) await this.#drain.drain();
    else this.#drain.closeAll();
    this.#flush();
  }

  preRequestDone(message: PreRequestDoneMessage): void {
    this.#preRequest.answered(message);
  }

  /** pre_request runs in the main thread (hooks are functions of the config file): ask and wait. */
  requestStarted(request: RequestInfo): Promise<void> {
    if (!data.hooks.preRequest) return Promise.resolve();
    return this.#preRequest.ask(request);
  }

  /**
   * Counted, logged and post_request-ed in the main thread: a bare count goes through shared memory;
   * access log entries and hook data in batched messages, at most one per FLUSH_MS.
   */
  requestFinished(entry: AccessLogEntry | null, request?: RequestInfo, response?: ResponseInfo): void {
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
    const stream = (req as unknown as Http2ServerRequest).stream as ServerHttp2Stream | undefined;
    // An HTTP/2 stream shares its connection: the watchdog answers on its stream (http2Target).
    const fd = stream !== undefined ? http2Target(stream) : socketFd(req.socket);
    this.#current = res;
    (res as Sequenced)[SEQ] = seq;
    this.#state.requestStarted(seq, fd, req.method ?? '', req.url ?? '', stream?.id ?? 0);
    this.#state.addInFlight(1);
    this.#balance?.onRequest(req.socket);
  }

  /** The response of a tracked request closed (once per #track). */
  #ended(res: ServerResponse): void {
    const seq = (res as Sequenced)[SEQ];
    if (seq === undefined) return;
    this.#state.requestFinished(seq);
    this.#state.addInFlight(-1);
    this.#balance?.onResponseClosed();
    if (this.#current === res) this.#current = null;
  }

  /**
   * Every response's headers go through writeHead (write/end/flushHeaders call it implicitly), on
   * HTTP/1.1 and in node's HTTP/2 compatibility API alike (patched only when h2 is on: node:http2 loads
   * only then). Before the first request: pre pins HTTP/2 prototypes' methods onto each request then.
   */
  #watchHeaders(prototypes: { writeHead: (...args: never[]) => unknown }[]): void {
    const served = this;
    for (const proto of prototypes) {
      const writeHead = proto.writeHead as (...a: unknown[]) => unknown;
      // `arguments`, not a rest parameter: no array per response.
      proto.writeHead = function (this: unknown) {
        if (this === served.#current) served.#state.headersSent();
        return writeHead.apply(this, arguments as unknown as unknown[]);
      };
    }
  }
}

/** A plain socket's fd, -1 when it has none the main thread could write to. */
function socketFd(socket: object): number {
  return (socket as Socket & { _handle?: { fd?: number } })._handle?.fd ?? -1;
}

/** The fd of an HTTP/2 stream's connection (-1 over TLS: the main thread cannot write on it). */
function http2Target(stream: ServerHttp2Stream): number {
  const session = stream.session;
  return session && !session.encrypted && session.socket ? socketFd(session.socket) : -1;
}

/** A tracked response's request number (see ThreadServer#track). */
const SEQ = Symbol('pre.threadRequest');
type Sequenced = ServerResponse & { [SEQ]?: number };

/** node:http2's response class, loaded only with h2 in http_protocols (as core does). */
function http2Response(): typeof Http2ServerResponse {
  return (createRequire(import.meta.url)('node:http2') as typeof import('node:http2')).Http2ServerResponse;
}

async function main(): Promise<void> {
  const state = new SharedThreadState(data.state);
  let server: ThreadServer | null = null;
  const beat = setInterval(() => {
    state.beat();
    if (server) state.setConnections(server.connections);
  }, data.beatMs);
  beat.unref();
  // Without hooks: they are functions of the config file, run by the main thread.
  const settings = data.settings as unknown as Settings;
  const log = new ThreadLogger(port, settings.loglevel as LogLevel);
  let app: LoadedApp;
  // Each thread has its own copy of the app, so each runs the app's lifecycle hooks (a pool per thread).
  const info = { pid: process.pid, age: data.age, workerClass: String(settings.worker_class), log };
  try {
    app = await loadApp(settings.app ?? '', process.cwd(), settings.app_shape);
    await runLifecycleHook(app, 'onWorkerStart', info, settings.timeout * 1000, 'timeout');
    const starting = new ThreadServer(settings, app, log);
    await starting.run();
    server = starting;
  } catch (err) {
    post({ type: 'boot_error', message: err instanceof Error && err.stack ? err.stack : String(err) });
    return;
  }
  const serving = server;
  port.on('message', (message: MainMessage) => {
    if (message.type === 'pre_request_done') serving.preRequestDone(message);
    else if (message.type === 'shed_connections') void serving.shed(message.count);
    else if (message.type === 'copy') serving.copyArrived(message);
    else if (message.type === 'stop') {
      void serving
        .stop(message.graceful)
        .then(() => runLifecycleHook(app, 'onWorkerStop', info, settings.graceful_timeout * 1000, 'graceful_timeout'))
        .catch((err: unknown) => log.warning(err instanceof Error ? err.message : String(err)))
        .then(() => post({ type: 'stopped' }));
    }
  });
  post({ type: 'listening' });
}

void main();

/** Closes a spare copy's fd (the main thread never closes its handle of it: see ThreadSlot#copies). */
function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
