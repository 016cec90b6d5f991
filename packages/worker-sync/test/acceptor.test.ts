import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListenerCopy } from '@pre/core';
import { Acceptor, SPARE_COPIES } from '../src/acceptor.js';

/** Each "copy" is a listening socket of its own on 127.0.0.1, so a test can tell which one the acceptor uses. */
const servers: Server[] = [];
async function listeningCopy(): Promise<ListenerCopy & { port: number; closed: boolean }> {
  const server = createServer();
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const copy = { fd: -1, handle: server, port: (server.address() as AddressInfo).port, closed: false, close: () => { copy.closed = true; } };
  return copy;
}

function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

afterEach(() => {
  for (const server of servers.splice(0)) server.close();
});

describe('Acceptor', () => {
  it('keeps SPARE_COPIES copies ready and listens on the first', async () => {
    const copies = await Promise.all([listeningCopy(), listeningCopy(), listeningCopy()]);
    const asked: number[] = [];
    const acceptor = new Acceptor({
      index: 1, inheritedFd: -1, backlog: 16, onStdin: false, onConnection: () => {}, onError: () => {},
      fetchCopy: async (index) => { asked.push(index); return copies[asked.length - 1]!; },
    });
    acceptor.open();
    await acceptor.firstListen;
    // the first copy is in use and SPARE_COPIES more were asked for, all for listener 1
    expect(asked).toEqual(Array(1 + SPARE_COPIES).fill(1));
    acceptor.stop();
    expect(copies.slice(1).map((c) => c.closed)).toEqual([true, true]); // spares are given back on stop
  });

  it('stops accepting in the connection callback and resumes on the next copy', async () => {
    const copies = await Promise.all([listeningCopy(), listeningCopy(), listeningCopy(), listeningCopy()]);
    let next = 0;
    const accepted: Socket[] = [];
    const acceptor: Acceptor = new Acceptor({
      index: 0, inheritedFd: -1, backlog: 16, onStdin: false, onError: () => {},
      onConnection: (socket) => { acceptor.pause(); accepted.push(socket); },
      fetchCopy: async () => copies[next++]!,
    });
    acceptor.open();
    await acceptor.firstListen;
    const first = await connectTo(copies[0]!.port);
    await expect.poll(() => accepted.length).toBe(1);
    // paused: the first copy's fd is closed, nobody accepts there any more
    await expect(connectTo(copies[0]!.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    acceptor.open();
    const second = await connectTo(copies[1]!.port);
    await expect.poll(() => accepted.length).toBe(2);
    for (const socket of [first, second, ...accepted]) socket.destroy();
    acceptor.stop();
  });

  it('rejects firstListen and reports the error when no copy can be had', async () => {
    const errors: Error[] = [];
    const acceptor = new Acceptor({
      index: 0, inheritedFd: -1, backlog: 16, onStdin: false, onConnection: () => {}, onError: (err) => errors.push(err),
      fetchCopy: () => Promise.reject(new Error('no copy')),
    });
    acceptor.open();
    await expect(acceptor.firstListen).rejects.toThrow('no copy');
    expect(errors.map((e) => e.message)).toContain('no copy');
    acceptor.stop();
  });
});
