import type { IncomingMessage, ServerResponse } from 'node:http';
import { nodeAccessLogEntry, type RequestReporter } from '@pre/core';

interface InFlight {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** performance.now() at the start */
  readonly started: number;
  /** Date.now() at the start, for the access log */
  readonly startTime: number;
  /** When the heartbeat tick that counted as this request's one beat ran; null before it. */
  beatAt: number | null;
  reported: boolean;
}

/**
 * The heartbeat as the request timeout, as in Gunicorn's sync worker, which only beats between requests.
 * Here the event loop stays alive while an async handler waits, so the heartbeat is withheld instead:
 * one beat is allowed on the first tick after a request starts (so the arbiter's clock starts at the
 * request, never before it), then none until it ends. A request still running `timeout` seconds later
 * gets the worker aborted (SIGABRT, then SIGKILL) and replaced.
 */
export class RequestTimeout {
  readonly #timeoutMs: number;
  readonly #reporter: RequestReporter;
  #current: InFlight | null = null;

  constructor(timeoutSeconds: number, reporter: RequestReporter) {
    this.#timeoutMs = timeoutSeconds * 1000;
    this.#reporter = reporter;
  }

  /** 'request' listener: tracks the request until its response closes. */
  readonly track = (req: IncomingMessage, res: ServerResponse): void => {
    const current: InFlight = { req, res, started: performance.now(), startTime: Date.now(), beatAt: null, reported: false };
    this.#current = current;
    res.once('close', () => {
      if (this.#current === current) this.#current = null;
    });
  };

  /** Worker#heartbeat: false once the request in flight has had its one beat. */
  beat(): boolean {
    const current = this.#current;
    if (!current) return true;
    const now = performance.now();
    if (current.beatAt === null) {
      current.beatAt = now;
      return true;
    }
    const age = now - current.started;
    if (this.#timeoutMs > 0 && age > this.#timeoutMs && !current.reported) {
      current.reported = true;
      this.#reporter.log.error(
        `Request ${current.req.method} ${current.req.url} still running after ${(age / 1000).toFixed(1)}s ` +
          `(timeout ${this.#timeoutMs / 1000}s): heartbeat withheld, the arbiter aborts this worker (pid: ${process.pid})`,
      );
    }
    return false;
  }

  /**
   * SIGABRT: the process is about to exit with the request unanswered (the client sees the connection
   * close). It is reported as finished with status 504, no body, the time it ran: its access log line,
   * metrics and post_request say so.
   */
  logAborted(): void {
    const current = this.#current;
    if (!current) return;
    this.#current = null;
    const durationMs = performance.now() - current.started;
    this.#reporter.log.error(`Worker aborted (pid: ${process.pid}) with ${current.req.method} ${current.req.url} in flight after ${(durationMs / 1000).toFixed(1)}s; its connection is closed unanswered`);
    const { req, res } = current;
    const reporter = this.#reporter;
    const entry = reporter.wantsAccessEntries ? { ...nodeAccessLogEntry(req, res, current.startTime, durationMs, 0), status: 504 } : null;
    const info = reporter.hasRequestHooks
      ? { method: req.method ?? '', url: req.url ?? '', headers: req.headers, remoteAddress: req.socket.remoteAddress }
      : undefined;
    reporter.requestFinished(entry, info, info && { status: 504, bytes: 0, durationMs });
  }
}
