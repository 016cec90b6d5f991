import { openSync, unlinkSync } from 'node:fs';
import type { ListenerInfo } from '../listeners/address.js';
import type { ListenerHandleMessage, WorkerInitMessage } from './protocol.js';

/**
 * The handles a standby worker received its listeners in: the fds its worker class listens on belong
 * to them, so they are kept for the life of the process.
 */
const listenerHandles: object[] = [];

/**
 * The arbiter's init message. A spawned worker has its heartbeat file and listeners at fixed fds already.
 * A standby worker (arbiter/standby.ts), started before they existed, opens the heartbeat file by path,
 * takes each listener from a ListenerHandleMessage, and sets the umask a spawned worker would inherit:
 * what it returns then reads like a spawned worker's.
 */
export function receiveInit(): Promise<WorkerInitMessage> {
  return new Promise((resolve, reject) => {
    if (!process.send) {
      reject(new Error('A pre worker must be started by the pre arbiter (no IPC channel).'));
      return;
    }
    // Before its init, a worker has nothing to finish: a standby the arbiter did not adopt (a usage error,
    // a setting that rules it out, an arbiter that failed) leaves when the arbiter lets go of it.
    const leave = (): never => process.exit(0);
    process.once('disconnect', leave);
    let init: WorkerInitMessage | null = null;
    const listeners: ListenerInfo[] = [];
    let awaited = 0;
    const done = (message: WorkerInitMessage): void => {
      process.off('message', onMessage);
      process.off('disconnect', leave);
      resolve(message);
    };
    // One listener for the init and the handles after it: they can arrive in one read, and a message
    // without a listener is lost.
    const adopt = (): void => {
      try {
        done(adopted(init!, listeners));
      } catch (err) {
        reject(err);
      }
    };
    const onMessage = (message: WorkerInitMessage | ListenerHandleMessage, handle?: { fd: number }): void => {
      if (message?.type === 'init' && !init) {
        init = message;
        if (!message.standby) return done(message);
        listeners.push(...message.listeners);
        awaited = message.listeners.filter((listener) => listener.fd >= 0).length;
        if (awaited === 0) adopt();
      } else if (message?.type === 'listener_handle' && init && handle) {
        listenerHandles.push(handle);
        listeners[message.index] = { ...listeners[message.index]!, fd: handle.fd };
        if (--awaited === 0) adopt();
      }
    };
    process.on('message', onMessage);
  });
}

function adopted(init: WorkerInitMessage, listeners: ListenerInfo[]): WorkerInitMessage {
  const heartbeatPath = init.standby!.heartbeatPath;
  const heartbeatFd = openSync(heartbeatPath, 'r+');
  unlinkSync(heartbeatPath);
  process.umask(init.settings.umask as number);
  return { ...init, heartbeatFd, listeners };
}
