import type { Logger } from '../logging/error-log.js';
import { FIRST_LISTENER_FD } from '../worker/protocol.js';
import { parseBindAddress, type ListenerInfo } from './address.js';
import { closeSync } from 'node:fs';
import { adoptListener, bindListener, type BoundListener } from './bind.js';

/**
 * The arbiter's sockets. Bound once and never accepted on: workers inherit them. For worker classes
 * that bind their own (SO_REUSEPORT), the set only describes the addresses.
 */
export class ListenerSet {
  #bound: BoundListener[] = [];
  #own: ListenerInfo[] = [];
  readonly #bindsOwn: boolean;
  /** Sockets inherited from an old master (USR2), by bind text; adopted by the first update. */
  #inherited: Map<string, number>;

  constructor(bindsOwn: boolean, inherited: readonly { fd: number; bind: string }[] = []) {
    this.#bindsOwn = bindsOwn;
    this.#inherited = new Map(inherited.map((l) => [l.bind, l.fd]));
  }

  /** True when the worker class binds its own sockets: the set then only describes addresses. */
  get bindsOwn(): boolean {
    return this.#bindsOwn;
  }

  /** Binds `binds`, keeping sockets already bound to the same text (HUP) and closing the rest. */
  async update(binds: readonly string[], log: Logger): Promise<void> {
    const addresses = binds.map(parseBindAddress);
    if (this.#bindsOwn) {
      this.#own = addresses.map((a) => ({
        fd: -1,
        kind: a.kind,
        address: a.text,
        url: a.kind === 'tcp' ? `http://${a.family === 6 ? `[${a.host}]` : a.host}:${a.port}` : a.text,
        ...(a.kind === 'tcp' ? { host: a.host, port: a.port } : a.kind === 'unix' ? { path: a.path } : {}),
      }));
      return;
    }
    const next: BoundListener[] = [];
    try {
      for (const address of addresses) {
        const inheritedFd = this.#inherited.get(address.text);
        this.#inherited.delete(address.text);
        next.push(
          this.#bound.find((l) => l.address.text === address.text) ??
            (inheritedFd !== undefined ? adoptListener(address, inheritedFd) : await bindListener(address)),
        );
      }
    } catch (err) {
      for (const listener of next) if (!this.#bound.includes(listener)) listener.close();
      throw err;
    }
    for (const listener of this.#bound) {
      if (!next.includes(listener)) {
        log.info(`Closing listener ${listener.info.url}`);
        listener.close();
      }
    }
    this.#bound = next;
    // Inherited sockets the new configuration no longer binds.
    for (const fd of this.#inherited.values()) closeFd(fd);
    this.#inherited.clear();
  }

  /** fd and bind text of each socket, to pass them to a new master. */
  get inheritable(): { fd: number; bind: string }[] {
    return this.#bound.map((l) => ({ fd: l.fd, bind: l.address.text }));
  }

  /** The fds to hand each worker, in order. */
  get fds(): number[] {
    return this.#bound.map((l) => l.fd);
  }

  /** What workers are told, with the fd numbers they will see. */
  get infos(): ListenerInfo[] {
    if (this.#bindsOwn) return this.#own;
    return this.#bound.map((l, i) => ({ ...l.info, fd: FIRST_LISTENER_FD + i }));
  }

  /** The handle of listener `index`, to send a worker a fresh copy of the socket. */
  handle(index: number): object | null {
    return this.#bound[index]?.handle ?? null;
  }

  /** Closes every socket; `keepUnixFiles` when a new master serves on them now. */
  closeAll(keepUnixFiles = false): void {
    for (const listener of this.#bound) {
      if (keepUnixFiles) listener.keepFile();
      else listener.close();
    }
    this.#bound = [];
  }
}

function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // not open
  }
}
