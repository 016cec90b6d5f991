import { openSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { SonicBoom } from 'sonic-boom';
import { PreError } from '../errors.js';

// sonic-boom is CommonJS: `require` loads it as such. An ESM import would first scan its source for named
// exports (Node's cjs-module-lexer), ~5 ms of CPU and ~3 MB of RSS in every process once V8 optimizes the scanner.
const SonicBoomClass = (createRequire(import.meta.url)('sonic-boom') as typeof import('sonic-boom')).SonicBoom;

export interface LogFileOptions {
  /** null or '-': the standard stream `stdFd`; otherwise the file to append to (its directory must exist). */
  readonly path: string | null;
  readonly stdFd: 1 | 2;
  /** 'error log', 'access log': named in messages. */
  readonly what: string;
  /** Synchronous writes (the error log) or one asynchronous write at a time (the access log). */
  readonly sync: boolean;
  /** A write failed (not EPIPE); the bytes are kept and retried with the next write. */
  readonly onError: (err: unknown) => void;
  /** An asynchronous write finished. */
  readonly onDrain?: () => void;
}

/**
 * Where one log goes: a file (opened for appending, reopened on USR1) or stdout/stderr, through a SonicBoom.
 * Never blocks an exit: when the reader of a pipe has gone away (EPIPE) it stops writing for good, as
 * pino's own SonicBoom wrapper does, and `flush` never retries bytes whose write already failed
 * (SonicBoom's flushSync would retry them forever).
 */
export class LogFile {
  /** Absolute path, or null for stdout/stderr. */
  readonly file: string | null;
  readonly #options: LogFileOptions;
  #fd: number;
  #boom: SonicBoom | null;
  /** The last write failed: SonicBoom holds its bytes until a write succeeds. */
  #failed = false;
  /** The reader went away (EPIPE): nothing more is written. */
  #gone = false;

  constructor(options: LogFileOptions) {
    this.#options = options;
    if (options.path === null || options.path === '-') {
      this.file = null;
      this.#fd = options.stdFd;
    } else {
      this.file = resolve(options.path);
      this.#fd = openLogFile(this.file, options.what);
    }
    this.#boom = this.#createBoom(this.#fd);
  }

  get fd(): number {
    return this.#fd;
  }

  /** False once closed or once the reader has gone away. */
  get writable(): boolean {
    return this.#boom !== null && !this.#gone;
  }

  /** Hands `data` to SonicBoom: written now (sync) or queued behind the write in flight. */
  write(data: string): void {
    const boom = this.#boom;
    if (boom === null || this.#gone) return;
    if (this.#options.sync) this.#failed = false; // a failed write sets it again, synchronously
    try {
      boom.write(data);
    } catch (err) {
      this.#writeFailed(err);
    }
  }

  /** Writes `data` straight to the fd, riding out EAGAIN for up to ~2 s (for a flush with nothing in flight). */
  writeSync(data: string): void {
    if (this.#boom === null || this.#gone) return;
    try {
      writeAllSync(this.#fd, data);
    } catch (err) {
      this.#writeFailed(err);
    }
  }

  /** Writes out what SonicBoom holds and fsyncs, unless a write just failed (it would spin on the same error). */
  flush(): void {
    const boom = this.#boom;
    if (boom === null || this.#gone || this.#failed) return;
    try {
      boom.flushSync();
    } catch (err) {
      this.#writeFailed(err);
    }
  }

  /**
   * Opens the file again at its path (USR1 after logrotate moved it) and writes there from now on; a
   * no-op for stdout/stderr. Throws (the old file stays in use) when the file cannot be opened.
   */
  reopen(): void {
    const old = this.#boom;
    if (this.file === null || old === null) return;
    const fd = openLogFile(this.file, this.#options.what);
    this.flush();
    this.#fd = fd;
    this.#boom = this.#createBoom(fd);
    this.#failed = false;
    endQuietly(old); // finishes an in-flight write, then closes the old fd
  }

  /** Flushes and closes the file (never stdout/stderr); later writes are dropped. */
  close(): void {
    const boom = this.#boom;
    if (boom === null) return;
    this.flush();
    this.#boom = null;
    if (!this.#gone) endQuietly(boom);
  }

  #createBoom(fd: number): SonicBoom {
    const boom = new SonicBoomClass({ fd, sync: this.#options.sync });
    boom.on('drain', () => {
      if (boom !== this.#boom) return;
      this.#failed = false;
      this.#options.onDrain?.();
    });
    // Without a listener a write error would be thrown out of write().
    boom.on('error', (err: unknown) => {
      if (boom === this.#boom) this.#writeFailed(err);
    });
    return boom;
  }

  #writeFailed(err: unknown): void {
    if ((err as NodeJS.ErrnoException | null)?.code === 'EPIPE') {
      // The reader exited (`pre … | head`, a killed log shipper): writing again can only fail.
      this.#gone = true;
      return;
    }
    this.#failed = true;
    this.#options.onError(err);
  }
}

/**
 * Opens `file` for appending (created with mode 0666 & ~umask) and returns its descriptor. Throws a
 * PreError (PRE_ERR_LOG_FILE) that names the log and the reason; the original error is the `cause`.
 */
export function openLogFile(file: string, what: string): number {
  try {
    return openSync(file, 'a');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | null)?.code;
    let reason: string;
    switch (code) {
      case 'ENOENT':
        reason = `directory '${dirname(file)}' does not exist`;
        break;
      case 'ENOTDIR':
        reason = `a component of '${dirname(file)}' is not a directory`;
        break;
      case 'EACCES':
      case 'EPERM':
        reason = 'permission denied';
        break;
      case 'EISDIR':
        reason = 'it is a directory';
        break;
      default:
        reason = err instanceof Error ? err.message : String(err);
    }
    throw new PreError('PRE_ERR_LOG_FILE', `cannot open the ${what} '${file}': ${reason}`, { cause: err });
  }
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Writes all of `data` to `fd`, riding out EAGAIN on a non-blocking pipe for up to ~2 s. */
function writeAllSync(fd: number, data: string): void {
  let buf = Buffer.from(data, 'utf8');
  let retries = 0;
  while (buf.length > 0) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException | null)?.code;
      if ((code !== 'EAGAIN' && code !== 'EBUSY') || ++retries > 200) throw err;
      Atomics.wait(sleepCell, 0, 0, 10);
    }
  }
}

/** Ends a destination: pending bytes are written, then the fd is closed (never 1 or 2). */
function endQuietly(boom: SonicBoom): void {
  try {
    boom.end();
  } catch {
    // Already destroyed.
  }
}
