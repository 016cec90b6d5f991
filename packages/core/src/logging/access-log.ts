import { errorText, reportToStderr } from './error-log.js';
import { compileAccessLogFormat, type AccessLogFormatter } from './access-format.js';
import { compileJsonAccessFormat } from './access-json.js';
import { LogFile } from './log-file.js';
import type { LogFormat } from './log-format.js';

export {
  DEFAULT_ACCESS_LOG_FORMAT, accessLogHeaders, compileAccessLogFormat,
  type AccessLogEntry, type AccessLogFormatter, type AccessLogHeaders,
} from './access-format.js';
import type { AccessLogEntry } from './access-format.js';

export interface AccessLogOptions {
  /** null: disabled; '-': stdout; otherwise the file to append to (its directory must exist). */
  path: string | null;
  format: string;
  /** `text` (the default): lines in `format`; `json`: one object per line (see access-json.ts). */
  logFormat?: LogFormat;
}

/** Lines waiting beyond this (a stuck stdout pipe, a full disk) are dropped rather than grow the heap. */
const MAX_PENDING_CHARS = 16 * 1024 * 1024;

/**
 * The access log writer. `log()` only formats and appends to an in-memory batch; once per event loop turn
 * the batch goes to the LogFile as one asynchronous write, at most one write in flight. `flush()` writes
 * what is left synchronously, for graceful exits.
 */
export class AccessLog {
  readonly enabled: boolean;
  readonly #format: AccessLogFormatter | null;
  readonly #out: LogFile | null = null;
  /** Formatted lines not yet handed to #out. */
  #pending = '';
  #immediate: NodeJS.Immediate | null = null;
  /** #out has an asynchronous write in flight (until its drain or error). */
  #writing = false;
  #problemReported = false;

  constructor(options: AccessLogOptions) {
    if (options.path === null) {
      this.enabled = false;
      this.#format = null;
      return;
    }
    this.enabled = true;
    this.#format = options.logFormat === 'json' ? compileJsonAccessFormat(options.format) : compileAccessLogFormat(options.format);
    this.#out = new LogFile({
      path: options.path, stdFd: 1, what: 'access log', sync: false,
      onDrain: () => {
        this.#writing = false;
        this.#problemReported = false;
        if (this.#pending !== '' && this.#immediate === null) this.#immediate = setImmediate(this.#handOver);
      },
      onError: (err) => {
        // The LogFile keeps the failed bytes and retries them with the next write (the next request's
        // batch, or flush()); retrying here could spin on a full disk.
        this.#writing = false;
        this.#problem(`cannot write to the access log ${this.#where()}: ${errorText(err)}`);
      },
    });
  }

  log(entry: AccessLogEntry): void {
    const format = this.#format;
    if (format === null || !this.#out?.writable) return;
    let line: string;
    try {
      line = format(entry);
    } catch (err) {
      this.#problem(`cannot format an access log line: ${errorText(err)}`);
      return;
    }
    if (this.#pending.length > MAX_PENDING_CHARS) {
      this.#problem(`access log ${this.#where()} is not keeping up; dropping lines`);
      return;
    }
    this.#pending += `${line}\n`;
    if (this.#immediate === null && !this.#writing) this.#immediate = setImmediate(this.#handOver);
  }

  /**
   * Reopens the file at its path (USR1 after logrotate moved it); a no-op for stdout. Lines logged before
   * go to the old file. Never throws: when the file cannot be opened, logging goes on to the old one.
   */
  reopen(): void {
    const out = this.#out;
    if (out === null || out.file === null) return;
    this.flush();
    try {
      out.reopen();
    } catch (err) {
      reportToStderr(`${errorText(err)}; still writing to the previous file`);
      return;
    }
    this.#writing = false;
    this.#problemReported = false;
  }

  /**
   * Writes every logged line out now, synchronously. Exact unless an asynchronous write handed over in an
   * earlier event loop turn is still in flight: that one cannot be waited for synchronously
   * (sonic-boom#101); it still lands, but possibly after the lines written here.
   */
  flush(): void {
    const out = this.#out;
    if (out === null) return;
    if (this.#immediate !== null) {
      clearImmediate(this.#immediate);
      this.#immediate = null;
    }
    const data = this.#pending;
    this.#pending = '';
    // Written directly, never queued behind the write in flight: SonicBoom's flushSync would retry a queued
    // write forever if it failed (EPIPE, ENOSPC).
    out.flush();
    if (data !== '') out.writeSync(data);
  }

  /** Flushes and closes the file (never stdout); later entries are dropped. */
  close(): void {
    if (this.#out === null) return;
    this.flush();
    this.#out.close();
  }

  readonly #handOver = (): void => {
    this.#immediate = null;
    const out = this.#out;
    if (out === null || this.#writing || this.#pending === '') return;
    const data = this.#pending;
    this.#pending = '';
    this.#writing = true;
    out.write(data);
  };

  #where(): string {
    const file = this.#out?.file ?? null;
    return file === null ? '(stdout)' : `'${file}'`;
  }

  /** Reported once on stderr until the log writes successfully again. */
  #problem(message: string): void {
    if (this.#problemReported) return;
    this.#problemReported = true;
    reportToStderr(message);
  }
}
