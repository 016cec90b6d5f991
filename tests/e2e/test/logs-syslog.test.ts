import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, runPre, startPre, stopAll, waitFor } from '../helpers/pre.js';

const closers: (() => void)[] = [];
afterEach(async () => {
  await stopAll();
  for (const close of closers.splice(0)) close();
});

const APP = path.join(FIXTURES, 'logs-app.js');

/**
 * A unix datagram receiver (as journald's or rsyslog's /dev/log): python3, since Node has no unix
 * datagram sockets. `read` prints each datagram as a JSON string; `stuck` binds and never reads.
 */
const RECEIVER = `
import json, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
if sys.argv[2] == "stuck":
    time.sleep(600)
while True:
    print(json.dumps(s.recv(1 << 20).decode("utf-8", "replace")), flush=True)
`;
const python = spawnSync('python3', ['-c', 'import socket; socket.AF_UNIX; socket.SOCK_DGRAM'], { encoding: 'utf8' });
const NO_PYTHON =
  python.status === 0 ? null : `python3 (the unix datagram receiver) cannot run here: ${python.error?.message ?? python.stderr.trim()}`;

async function unixDatagramReceiver(mode: 'read' | 'stuck'): Promise<{ path: string; messages: string[]; child: ChildProcess }> {
  const socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-syslog-dgram-')), 'log');
  const child = spawn('python3', ['-c', RECEIVER, socketPath, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  closers.push(() => child.kill('SIGKILL'));
  const messages: string[] = [];
  let ready = false;
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      if (line === 'ready') ready = true;
      else messages.push(JSON.parse(line) as string);
    }
  });
  await waitFor(() => ready, 'the unix datagram receiver to bind');
  return { path: socketPath, messages, child };
}

/** The logger(1) processes writing to this socket (each test's socket path is its own). */
function loggersFor(socketPath: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0] ?? '') === 'logger' && argv.includes(socketPath)) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** `<PRI>Mmm dd hh:mm:ss TAG: ` as logger(1) writes it (RFC 3164 header, no host). */
const LOGGER_HEADER = String.raw`[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d`;

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
    // Dropped by the collector; pre reconnects within FIRST_RETRY_MS, so new sockets may arrive at once.
    const dropped = [...collector.sockets];
    for (const socket of dropped) socket.destroy();
    await waitFor(() => dropped.every((socket) => !collector.sockets.has(socket)), 'the dropped connections to close');
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

  it.skipIf(NO_PYTHON !== null)(`unix datagram socket (as /dev/log), through logger(1)${NO_PYTHON === null ? '' : ` — ${NO_PYTHON}`}`, async () => {
    const receiver = await unixDatagramReceiver('read');
    const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', `unix://${receiver.path}`, '-n', 'ux', '--log-syslog-facility', 'daemon', '--log-level', 'debug']);
    const url = await pre.ready(1);
    await waitFor(() => receiver.messages.some((m) => m.includes('Worker booted') || m.includes('Booting worker')), 'a line on the unix socket');
    // daemon (3) × 8 + info (6); logger adds the timestamp, as the local daemon would.
    expect(receiver.messages.some((m) => new RegExp(`^<30>${LOGGER_HEADER} pre\\.ux\\.error: \\[${pre.pid}\\] Starting pre `).test(m))).toBe(true);
    expect((await fetch(`${url}/throw`)).status).toBe(500);
    const stack = await waitFor(() => receiver.messages.find((m) => m.includes('kaboom')), 'the exception on the unix socket');
    // daemon × 8 + err (3): the whole stack (over logger's default 1 KiB) in one datagram, line breaks as #012.
    expect(stack).toMatch(new RegExp(`^<27>${LOGGER_HEADER} pre\\.ux\\.error: \\[\\d+\\] Error handling request#012TypeError: kaboom#012 +at .*Caused by: Error: the cause#012`));
    for (const m of receiver.messages) expect(m).toMatch(new RegExp(`^<\\d+>${LOGGER_HEADER} pre\\.ux\\.error: \\[\\d+\\] [^\\n]*$`));
    expect(loggersFor(receiver.path).length).toBeGreaterThanOrEqual(2); // the arbiter's and the worker's
    await pre.stop();
    expect(await pre.exited).toEqual({ code: 0, signal: null });
    // Each logger sent what it had read, then exited at EOF.
    await waitFor(() => receiver.messages.some((m) => m.includes('Shutting down: Master')), 'the last line of the arbiter');
    await waitFor(() => loggersFor(receiver.path).length === 0, 'the loggers to exit');
  });

  it.skipIf(NO_PYTHON !== null)(`unix datagram: a receiver that dies never blocks a TERM; the loss is said once per process${NO_PYTHON === null ? '' : ` — ${NO_PYTHON}`}`, async () => {
    const receiver = await unixDatagramReceiver('read');
    const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', `unix://${receiver.path}`, '--log-level', 'debug']);
    const url = await pre.ready(1);
    await waitFor(() => receiver.messages.some((m) => m.includes('Booting worker')), 'a line on the unix socket');
    receiver.child.kill('SIGKILL');
    await new Promise((resolve) => receiver.child.once('exit', resolve));
    for (let i = 0; i < 50; i++) expect((await fetch(`${url}/throw`)).status).toBe(500);
    const worker = Number(/Booting worker with pid: (\d+)/.exec(pre.stderr)![1]);
    const said = new RegExp(`\\[(\\d+)\\] \\[WARNING\\] cannot send to syslog 'unix://${receiver.path}': logger exited \\(code 1\\): logger: socket ${receiver.path}: Connection refused; no more lines go there from this process`, 'g');
    await waitFor(() => [...pre.stderr.matchAll(said)].some((m) => Number(m[1]) === worker), 'the worker to report the loss');
    const began = Date.now();
    await pre.stop();
    expect(await pre.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - began).toBeLessThan(8000);
    const reports = [...pre.stderr.matchAll(said)].map((m) => Number(m[1]));
    expect(reports.filter((pid) => pid === worker)).toHaveLength(1); // 50 stacks, one report
    expect(new Set(reports).size).toBe(reports.length);
    await waitFor(() => loggersFor(receiver.path).length === 0, 'the loggers to exit');
  });

  it.skipIf(NO_PYTHON !== null)(`unix datagram: a receiver that never reads never blocks a TERM${NO_PYTHON === null ? '' : ` — ${NO_PYTHON}`}`, async () => {
    const receiver = await unixDatagramReceiver('stuck');
    const pre = startPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', `unix://${receiver.path}`, '--log-level', 'debug']);
    const url = await pre.ready(1);
    for (let i = 0; i < 200; i++) expect((await fetch(`${url}/throw`)).status).toBe(500); // 200 stacks, more than the socket holds
    const began = Date.now();
    await pre.stop();
    expect(await pre.exited).toEqual({ code: 0, signal: null });
    expect(Date.now() - began).toBeLessThan(8000);
    // The worker's logger is blocked on the full socket (the test is real): it outlives pre until the receiver goes away.
    expect(loggersFor(receiver.path).length).toBeGreaterThan(0);
    receiver.child.kill('SIGKILL');
    await waitFor(() => loggersFor(receiver.path).length === 0, 'the loggers to exit once the receiver is gone');
  });

  it('unix datagram without util-linux logger on PATH: pre refuses to start and says what to do', async () => {
    const { code, stderr } = await runPre([APP, '-b', '127.0.0.1:0', '--log-syslog', '--log-syslog-to', 'unix:///dev/log'], {
      env: { PATH: mkdtempSync(path.join(os.tmpdir(), 'pre-empty-path-')) },
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain(
      "syslog_addr 'unix:///dev/log': a unix datagram socket is written through logger(1) from util-linux, and 'logger' is not on PATH; " +
        'use udp:// or tcp:// (to rsyslog or syslog-ng), or install util-linux (Debian: bsdutils)',
    );
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
