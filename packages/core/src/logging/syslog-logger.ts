import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { PreError } from '../errors.js';
import type { ProblemReporter, SyslogTransport } from './syslog-transport.js';

/** Bytes waiting for logger(1) (behind a receiver that does not read); later lines are dropped. */
const MAX_BACKLOG_BYTES = 1024 * 1024;
/** logger's own limit per message (its default is 1 KiB); a longer message is split into several. */
const MAX_MESSAGE_BYTES = 64 * 1024;
const STDERR_KEPT = 1024;

let loggerProblem: string | null | undefined;

/**
 * Why util-linux's logger(1) cannot be used here, or null when it can. Checked once per process: a
 * missing logger, or another one (busybox, BSD) without `--socket` and `--prio-prefix`, must refuse the
 * setting at start-up, not lose lines later.
 */
export function loggerUnavailable(): string | null {
  if (loggerProblem !== undefined) return loggerProblem;
  const version = spawnSync('logger', ['-V'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 5000 });
  if (version.error !== undefined) {
    const code = (version.error as NodeJS.ErrnoException).code;
    loggerProblem = code === 'ENOENT' ? "'logger' is not on PATH" : `'logger -V' failed (${version.error.message})`;
  } else if (!/util-linux/.test(`${version.stdout}${version.stderr}`)) {
    loggerProblem = `'logger' on PATH is not util-linux's (it says: ${JSON.stringify(`${version.stdout}${version.stderr}`.trim().slice(0, 80))})`;
  } else {
    loggerProblem = null;
  }
  return loggerProblem;
}

export interface LoggerTransportOptions {
  /** The unix datagram socket (`/dev/log`). */
  readonly path: string;
  readonly tag: string;
  /** The address as the user wrote it, for messages. */
  readonly where: string;
  readonly report: ProblemReporter;
}

/**
 * A unix datagram socket (/dev/log) through util-linux's logger(1): Node has no unix datagram sockets.
 * One logger per process reads `<PRI>body` lines on its stdin and sends each as one datagram, with its
 * RFC 3164 header (`<PRI>Mmm dd hh:mm:ss TAG: body`). Never blocks us: the child and its pipes are
 * unref'd and in their own process group (a Ctrl-C to ours does not cut our last lines), writes beyond
 * MAX_BACKLOG_BYTES are dropped, and logger exits by itself at EOF, when we exit or close. When logger
 * dies (the receiver went away: it exits on a refused send), writes stop (its stdin fails with EPIPE) and
 * the transport says so once, with what logger printed.
 */
export class LoggerTransport implements SyslogTransport {
  readonly #child: ChildProcess;
  readonly #stdin: Socket;
  #stderr = '';
  #stdinError: string | null = null;
  /** No more writes: closed by us, or logger is gone. */
  #stopped = false;
  #closedByUs = false;
  #reported = false;

  constructor(readonly options: LoggerTransportOptions) {
    const problem = loggerUnavailable();
    if (problem !== null) {
      throw new PreError(
        'PRE_ERR_BAD_SETTING',
        `syslog_addr ${options.where}: a unix datagram socket is written through logger(1) from util-linux, and ${problem}; ` +
          `use udp:// or tcp:// (to rsyslog or syslog-ng), or install util-linux (Debian: bsdutils)`,
      );
    }
    this.#child = spawn(
      'logger',
      ['--socket', options.path, '--socket-errors=on', '--prio-prefix', '--tag', options.tag, '--size', String(MAX_MESSAGE_BYTES)],
      { stdio: ['pipe', 'ignore', 'pipe'], detached: true },
    );
    this.#stdin = this.#child.stdin as Socket;
    this.#child.unref();
    this.#stdin.unref();
    (this.#child.stderr as Socket).unref();
    // EPIPE: logger has exited; its 'close' (below) says why, with what it printed.
    this.#stdin.on('error', (err) => {
      this.#stdinError ??= err.message;
      this.#stopWriting();
    });
    this.#child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      if (this.#stderr.length < STDERR_KEPT) this.#stderr += text;
    });
    this.#child.on('error', (err) => {
      this.#stopWriting();
      this.#report(`cannot run logger: ${err.message}`);
    });
    this.#child.on('close', (code, signal) => {
      this.#stopWriting();
      if (this.#closedByUs) return;
      const said = this.#stderr.trim().split('\n').join('; ') || this.#stdinError;
      this.#report(`logger exited (${signal ?? `code ${code}`})${said ? `: ${said}` : ''}`);
    });
  }

  send(priority: number, body: string): void {
    if (this.#stopped) return;
    const line = `<${priority}>${body}\n`;
    if (this.#stdin.writableLength + line.length > MAX_BACKLOG_BYTES) return;
    this.#stdin.write(line);
  }

  /** EOF: logger sends what it has read, then exits; we do not wait for it. */
  close(): void {
    if (this.#stopped) return;
    this.#closedByUs = true;
    this.#stopped = true;
    this.#stdin.end();
  }

  #stopWriting(): void {
    if (!this.#stopped) this.#stdin.destroy();
    this.#stopped = true;
  }

  #report(reason: string): void {
    if (this.#reported) return;
    this.#reported = true;
    this.options.report(`cannot send to syslog ${this.options.where}: ${reason}; no more lines go there from this process`);
  }
}
