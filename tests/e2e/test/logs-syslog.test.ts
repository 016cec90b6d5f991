import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

const closers: (() => void)[] = [];
afterEach(async () => {
  await stopAll();
  for (const close of closers.splice(0)) close();
});

const APP = path.join(FIXTURES, 'logs-app.js');
/** unix-dgram is a native addon built at install for one Node ABI (CI reruns the suite on Node 22 and 24 without rebuilding). */
type UnixDgram = { createSocket(type: 'unix_dgram', onMessage: (data: Buffer) => void): { bind(path: string): void; close(): void } };
function loadUnixDgram(): UnixDgram | null {
  try {
    return createRequire(path.join(ROOT, 'packages/core/package.json'))('unix-dgram') as UnixDgram;
  } catch {
    return null;
  }
}
const unixDgram = loadUnixDgram();
const NO_UNIX_DGRAM = `unix-dgram is not built for Node ${process.versions.node} (ABI ${process.versions.modules})`;

/** local0 (16) × 8 + info (6) */
const LOCAL0_INFO = 134;

/** A UDP syslog collector on 127.0.0.1: every datagram received, as text. */
async function udpCollector(): Promise<{ port: number; messages: string[] }> {
  const socket = dgram.createSocket('udp4');
  const messages: string[] = [];
  socket.on('message', (data) => messages.push(data.toString('utf8')));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  closers.push(() => socket.close());
  return { port: socket.address().port, messages };
}

/** A TCP syslog collector: lines (newline framing) and the connections it accepted. */
async function tcpCollector(): Promise<{ port: number; lines: string[]; sockets: Set<net.Socket>; server: net.Server }> {
  const lines: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
    });
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  return { port: (server.address() as net.AddressInfo).port, lines, sockets, server };
}

describe('syslog', () => {
  it('udp: error log lines of the arbiter and the workers, in Gunicorn\'s format, and the file too', async () => {
    const { port, messages } = await udpCollector();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-syslog-'));
    const errorlog = path.join(dir, 'error.log');
    const pre = startPre([
      APP, '-b', '127.0.0.1:0', '--log-file', errorlog, '--log-syslog', '--log-syslog-to', `udp://127.0.0.1:${port}`,
      '--log-syslog-prefix', 'shop:web', '--log-syslog-facility', 'local0', '--log-level', 'debug',
    ]);
    await waitFor(() => existsSync(errorlog) && /Worker booted \(pid: (\d+)\)/.exec(readFileSync(errorlog, 'utf8')), 'a booted worker');
    const worker = Number(/Booting worker with pid: (\d+)/.exec(readFileSync(errorlog, 'utf8'))![1]);
    await waitFor(() => messages.some((m) => m.includes('Worker booted')), 'the worker\'s lines in syslog');
    expect(messages).toContain(`<${LOCAL0_INFO}>pre.shop.web.error: [${pre.pid}] Booting worker with pid: ${worker}`);
    expect(messages).toContain(`<135>pre.shop.web.error: [${pre.pid}] Worker booted (pid: ${worker})`); // debug: 7
    expect(messages.some((m) => m.startsWith(`<${LOCAL0_INFO}>pre.shop.web.error: [${pre.pid}] Starting pre `))).toBe(true);
    // The file has the same lines in the text format.
    expect(readFileSync(errorlog, 'utf8')).toMatch(new RegExp(`\\[${pre.pid}\\] \\[INFO\\] Booting worker with pid: ${worker}`));
    for (const m of messages) expect(m).toMatch(/^<\d+>pre\.shop\.web\.error: \[\d+\] [^\n]*$/);
  });

  it('udp with log_format json: the JSON object follows the tag; a stack stays on one line', async () => {
    const { port, messages } = await udpCollector();
    const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-format', 'json', '--log-syslog', '--log-syslog-to', `udp://127.0.0.1:${port}`, '-n', 'api']);
    const url = await pre.ready(0);
    await waitFor(() => messages.some((m) => m.includes('Booting worker')), 'a syslog line');
    await waitFor(async () => (await fetch(`${url}/throw`).catch(() => null))?.status === 500, 'a 500');
    const line = await waitFor(() => messages.find((m) => m.includes('kaboom')), 'the exception in syslog');
    expect(line.startsWith('<11>pre.api.error: {')).toBe(true); // user (1) × 8 + err (3)
    const object = JSON.parse(line.slice('<11>pre.api.error: '.length));
    expect(object).toMatchObject({ level: 50, err: { type: 'TypeError', message: 'kaboom' } });
    expect(line).not.toContain('\n');
  });

  it('tcp: newline-framed lines; reconnects after the collector drops the connection', async () => {
    const collector = await tcpCollector();
    const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', `tcp://127.0.0.1:${collector.port}`, '-n', 'tcpapp']);
    await pre.ready(0);
    await waitFor(() => collector.lines.some((l) => l.includes('Booting worker')), 'lines over tcp');
    expect(collector.lines.every((l) => /^<\d+>pre\.tcpapp\.error: \[\d+\] /.test(l))).toBe(true);
    for (const socket of collector.sockets) socket.destroy();
    await waitFor(() => collector.sockets.size === 0, 'the connections to close');
    pre.signal('SIGTTIN');
    await waitFor(() => collector.lines.some((l) => l === `<14>pre.tcpapp.error: [${pre.pid}] Handling signal: ttin`), 'a line after the reconnect');
    await pre.stop();
    expect(pre.stderr).toContain('Shutting down: Master');
  });

  it('tcp: a collector that is down, or never reads, never blocks pre or its stop', async () => {
    const stuck = await tcpCollector();
    stuck.server.on('connection', (socket) => socket.pause());
    const down = await tcpCollector();
    down.server.close();
    for (const port of [stuck.port, down.port]) {
      const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', `tcp://127.0.0.1:${port}`, '--log-level', 'debug']);
      const url = await pre.ready(1);
      for (let i = 0; i < 200; i++) expect((await fetch(`${url}/throw`)).status).toBe(500); // 200 stacks to syslog
      const began = Date.now();
      await pre.stop();
      expect(await pre.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - began).toBeLessThan(8000);
    }
  });

  it.skipIf(unixDgram === null)(`unix datagram socket (as /dev/log)${unixDgram === null ? ` — ${NO_UNIX_DGRAM}` : ''}`, async () => {
    const unix = unixDgram!;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-syslog-unix-'));
    const socketPath = path.join(dir, 'log');
    const messages: string[] = [];
    const receiver = unix.createSocket('unix_dgram', (data) => messages.push(data.toString('utf8')));
    receiver.bind(socketPath);
    closers.push(() => receiver.close());
    const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', `unix://${socketPath}`, '-n', 'ux', '--log-syslog-facility', 'daemon']);
    await pre.ready(0);
    await waitFor(() => messages.some((m) => m.includes('Booting worker')), 'a line on the unix socket');
    expect(messages.some((m) => m.startsWith(`<30>pre.ux.error: [${pre.pid}] Starting pre `))).toBe(true); // daemon (3) × 8 + info
  });

  it.skipIf(unixDgram !== null)(`unix datagram socket without unix-dgram: pre refuses to start and says why (${unixDgram === null ? NO_UNIX_DGRAM : 'it is built here'})`, async () => {
    const { code, stderr } = await runPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', 'unix:///dev/log']);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/syslog_addr 'unix:\/\/\/dev\/log': a unix datagram socket needs the optional package 'unix-dgram'/);
  });

  it('unix stream socket (#stream)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-syslog-unix-'));
    const socketPath = path.join(dir, 'log.sock');
    const lines: string[] = [];
    const server = net.createServer((socket) => socket.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean))));
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    closers.push(() => server.close());
    const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', `unix://${socketPath}#stream`, '-n', 'us']);
    await pre.ready(0);
    await waitFor(() => lines.some((l) => l.startsWith(`<14>pre.us.error: [${pre.pid}] Booting worker`)), 'a line on the unix stream socket');
  });

  it('refuses a bad address or facility, naming the setting', async () => {
    const bad = await runPre([APP, '--log-syslog-to', 'http://x']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/syslog_addr.*http:\/\/x.*udp:\/\/HOST:PORT/);
    const facility = await runPre([APP, '--log-syslog-facility', 'local9']);
    expect(facility.code).not.toBe(0);
    expect(facility.stderr).toMatch(/syslog_facility.*local9/);
  });
});
