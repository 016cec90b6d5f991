import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AcceptQueue, listenQueueLength, socketInode } from '../src/accept-queue.js';

// Lines as Linux 6.1 prints them (header, a LISTEN socket with 3 queued, an ESTABLISHED one with 0x1f bytes unread).
const TCP = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0',
  '   1: 0100007F:1F90 0100007F:C350 01 00000000:0000001F 00:00000000 00000000  1000        0 4243 1 0000000000000000 20 4 30 10 -1',
  '',
].join('\n');
const TCP6 = [
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 00000000000000000000000000000000:1F91 00000000000000000000000000000000:0000 0A 00000000:0000001A 00:00000000 00000000  1000        0 777 1 0000000000000000 100 0 0 10 0',
].join('\n');

describe('listenQueueLength (/proc/net/tcp and tcp6 text)', () => {
  it('reads rx_queue (hex) of the LISTEN socket with that inode', () => {
    expect(listenQueueLength(TCP, 4242)).toBe(3);
    expect(listenQueueLength(TCP6, 777)).toBe(26);
  });

  it('ignores sockets that are not listening, other inodes and the header', () => {
    expect(listenQueueLength(TCP, 4243)).toBeNull(); // ESTABLISHED: rx_queue is unread bytes there
    expect(listenQueueLength(TCP, 42)).toBeNull(); // a prefix of 4242
    expect(listenQueueLength(TCP6, 4242)).toBeNull();
    expect(listenQueueLength('', 4242)).toBeNull();
  });

  it('gives null for a malformed queue field instead of a wrong number', () => {
    expect(listenQueueLength(TCP.replace('00000000:00000003', '00000000:zz'), 4242)).toBeNull();
  });
});

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

/** A listening TCP socket on 127.0.0.1 and its fd. */
async function listenerFd(): Promise<{ fd: number; port: number }> {
  const server = net.createServer();
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
  return { fd, port: (server.address() as net.AddressInfo).port };
}

describe.runIf(process.platform === 'linux' && existsSync('/proc/net/tcp'))('AcceptQueue on a real socket (Linux)', () => {
  it('finds the socket inode of an fd', async () => {
    const { fd } = await listenerFd();
    expect(socketInode(fd)).toBeGreaterThan(0);
    expect(socketInode(-1)).toBeNull();
  });

  it('counts connections the kernel has queued and no one has accepted', async () => {
    const { fd, port } = await listenerFd();
    const queue = new AcceptQueue(fd);
    expect(queue.length()).toBe(0);
    // spawnSync blocks this event loop, so the server cannot accept: the child's 3 connections stay queued.
    const script = `const net=require('node:net');let n=0;for(let i=0;i<3;i++){const s=net.connect(${port},'127.0.0.1',()=>{if(++n===3)process.exit(0)});s.on('error',()=>process.exit(2))}`;
    const child = spawnSync(process.execPath, ['-e', script], { timeout: 10_000 });
    expect(child.status).toBe(0);
    expect(queue.length()).toBe(3);
  });

  it('says null (unknown) for a unix socket: /proc/net/unix has no queue length', async () => {
    const server = net.createServer();
    servers.push(server);
    const path = `/tmp/pre-accept-queue-${process.pid}.sock`;
    server.listen(path);
    await once(server, 'listening');
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    expect(socketInode(fd)).toBeGreaterThan(0);
    expect(new AcceptQueue(fd).length()).toBeNull();
  });
});
