import { chmodSync, statSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { resolve } from 'node:path';
import type { ArbiterControl } from '../arbiter/control-api.js';
import { OLD_MASTER_ENV } from '../arbiter/upgrade.js';
import { PreError, errorMessage } from '../errors.js';
import type { Logger } from '../logging/error-log.js';
import { runCommand } from './commands.js';
import { CpuSampler } from './proc-stats.js';
import { ControlError, MAX_REQUEST_BYTES, encodeResponse, parseRequestLine, type ControlResponse } from './protocol.js';
import type { Settings } from '../settings/registry.js';
import { SocketInUseError, defaultControlSocketPath, ensureSocketDir, prepareSocketPath } from './socket-path.js';

/** Enough for a few operators and their `pre ctl top`s; Node closes connections beyond it. */
const MAX_CONNECTIONS = 32;

export interface ControlServerOptions {
  readonly path: string;
  readonly mode: number;
  readonly control: ArbiterControl;
  readonly log: Logger;
}

/**
 * The arbiter's control socket: a unix socket speaking newline-delimited JSON (see protocol.ts), one
 * request at a time per connection. Bad requests get an error reply; nothing a client sends can
 * throw into the arbiter.
 */
export class ControlServer {
  readonly path: string;
  readonly #server: Server;
  readonly #log: Logger;
  readonly #control: ArbiterControl;
  readonly #sampler = new CpuSampler();
  readonly #connections = new Set<Socket>();
  #inode = 0n;

  private constructor(path: string, control: ArbiterControl, log: Logger) {
    this.path = path;
    this.#control = control;
    this.#log = log;
    this.#server = createServer((socket) => this.#serve(socket));
    this.#server.maxConnections = MAX_CONNECTIONS;
  }

  /**
   * The control socket the settings ask for: none with `no_control_socket`; `control_socket` (a failure
   * stops pre); else the default path, where a failure (another pre holds it, no writable home) only
   * costs a warning, so two instances never fight over one path.
   */
  static async fromSettings(settings: Settings, control: ArbiterControl, log: Logger): Promise<ControlServer | null> {
    if (settings.no_control_socket) return null;
    const options = { mode: settings.control_socket_mode, control, log };
    if (settings.control_socket) return ControlServer.start({ ...options, path: settings.control_socket });
    const path = defaultControlSocketPath(process.env);
    try {
      ensureSocketDir(path);
      return await ControlServer.start({ ...options, path });
    } catch (err) {
      const why = err instanceof SocketInUseError ? 'is in use by another running pre' : `cannot be used (${errorMessage(err)})`;
      log.warning(`The default control socket ${path} ${why}; running without a control socket. ` +
        'Give each pre its own with --control-socket PATH, or turn it off with --no-control-socket.');
      return null;
    }
  }

  static async start(options: ControlServerOptions): Promise<ControlServer> {
    const path = resolve(options.path);
    await prepareSocketPath(path, process.env[OLD_MASTER_ENV] !== undefined, options.log);
    const server = new ControlServer(path, options.control, options.log);
    await server.#listen(options.mode);
    options.log.info(`Control socket at: ${path} (mode ${options.mode.toString(8).padStart(4, '0')})`);
    return server;
  }

  async #listen(mode: number): Promise<void> {
    // The socket file is created by listen(): a tight umask keeps it private until chmod sets `mode`.
    const umask = process.umask(0o177);
    try {
      await new Promise<void>((resolveListen, reject) => {
        this.#server.once('error', reject);
        this.#server.listen(this.path, () => {
          this.#server.off('error', reject);
          resolveListen();
        });
      });
    } catch (err) {
      throw new PreError('PRE_ERR_BIND', `Cannot listen on control socket ${this.path}: ${errorMessage(err)}`);
    } finally {
      process.umask(umask);
    }
    chmodSync(this.path, mode);
    this.#inode = socketInode(this.path);
    this.#server.on('error', (err) => this.#log.error(`Control socket error: ${err.message}`));
  }

  /**
   * After a rollback (the new master started by USR2 exited): the new master removed the socket file it
   * had taken over, so this master listens on the path again.
   */
  async reclaim(mode: number): Promise<void> {
    if (this.#socketFileIsOurs()) return; // the new master failed before it took the socket over
    this.#server.removeAllListeners('error');
    await new Promise<void>((resolveClose) => this.#server.close(() => resolveClose()));
    try {
      await prepareSocketPath(this.path, false, this.#log);
      await this.#listen(mode);
      this.#log.info(`Control socket at: ${this.path} (again, after the new master exited)`);
    } catch (err) {
      this.#log.error(`Cannot take the control socket back after the new master exited: ${errorMessage(err)}`);
    }
  }

  /** Stops listening and drops clients. The socket file is removed unless a newer master has replaced it. */
  async close(): Promise<void> {
    for (const socket of this.#connections) socket.destroy();
    if (this.#ownsSocketFile()) {
      await new Promise<void>((resolveClose) => this.#server.close(() => resolveClose()));
    } else {
      // Closing would unlink the path, which now belongs to the new master: let exit drop the handle.
      this.#server.unref();
    }
  }

  #socketFileIsOurs(): boolean {
    try {
      return socketInode(this.path) === this.#inode;
    } catch {
      return false;
    }
  }

  #ownsSocketFile(): boolean {
    try {
      return socketInode(this.path) === this.#inode;
    } catch {
      return true;
    }
  }

  #serve(socket: Socket): void {
    this.#connections.add(socket);
    socket.on('close', () => this.#connections.delete(socket));
    socket.on('error', () => socket.destroy()); // EPIPE, ECONNRESET: the client went away.
    socket.setEncoding('utf8');
    let buffer = '';
    let queue = Promise.resolve();
    let refused = false;
    socket.on('data', (chunk: string) => {
      if (refused) return;
      buffer += chunk;
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        if (line.trim()) queue = queue.then(() => this.#answer(socket, line));
      }
      if (buffer.length > MAX_REQUEST_BYTES) {
        buffer = '';
        refused = true;
        const error = { code: 'PRE_ERR_CTL_BAD_REQUEST', message: `Request longer than ${MAX_REQUEST_BYTES} bytes; closing.` };
        queue = queue.then(() => void socket.end(encodeResponse({ id: null, ok: false, error })));
      }
    });
  }

  async #answer(socket: Socket, line: string): Promise<void> {
    let id: ControlResponse['id'] = null;
    let response: ControlResponse;
    try {
      const request = parseRequestLine(line);
      id = request.id;
      this.#log.debug(`Control command: ${request.command.join(' ')}`);
      const result = await runCommand(request.command, { control: this.#control, sampler: this.#sampler });
      response = { id, ok: true, result: result ?? null };
    } catch (err) {
      if (!(err instanceof ControlError)) this.#log.exception('Control command failed', err);
      const code = err instanceof ControlError ? err.code : 'PRE_ERR_CTL_INTERNAL';
      response = { id, ok: false, error: { code, message: errorMessage(err) } };
    }
    if (socket.writable) socket.write(this.#encode(response));
  }

  #encode(response: ControlResponse): string {
    try {
      return encodeResponse(response);
    } catch (err) {
      this.#log.exception('Control reply could not be encoded', err);
      return encodeResponse({ id: null, ok: false, error: { code: 'PRE_ERR_CTL_INTERNAL', message: 'The reply could not be encoded.' } });
    }
  }
}

/**
 * The inode of the socket file. Read as a bigint: on Node 20.20, a plain `statSync(...).ino` of the
 * socket here made the next dynamic import of a pnpm-symlinked package (chokidar, for --reload) fail
 * with ERR_MODULE_NOT_FOUND, and the bigint form did not (reproduced in isolation, cause not found).
 */
function socketInode(path: string): bigint {
  return statSync(path, { bigint: true }).ino;
}
