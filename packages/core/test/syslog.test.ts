import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultSyslogAddress, parseSyslogAddress } from '../src/logging/syslog-address.js';
import { formatSyslogMessage } from '../src/logging/syslog-format.js';
import { LoggerTransport, loggerUnavailable } from '../src/logging/syslog-logger.js';
import { SyslogSink } from '../src/logging/syslog.js';
import { captureOutput } from '../src/logging/capture-output.js';

describe('syslog_addr', () => {
  it('parses Gunicorn\'s forms', () => {
    expect(parseSyslogAddress('udp://localhost:514')).toEqual({ transport: 'udp', host: 'localhost', port: 514 });
    expect(parseSyslogAddress('tcp://Logs.Example:6514')).toEqual({ transport: 'tcp', host: 'logs.example', port: 6514 });
    expect(parseSyslogAddress('udp://10.0.0.1')).toEqual({ transport: 'udp', host: '10.0.0.1', port: 514 });
    expect(parseSyslogAddress('udp://[::1]:5514')).toEqual({ transport: 'udp', host: '::1', port: 5514 });
    expect(parseSyslogAddress('udp://')).toEqual({ transport: 'udp', host: 'localhost', port: 514 });
    expect(parseSyslogAddress('unix:///dev/log')).toEqual({ transport: 'unix-dgram', path: '/dev/log' });
    expect(parseSyslogAddress('unix:///run/x.sock#stream')).toEqual({ transport: 'unix-stream', path: '/run/x.sock' });
    expect(parseSyslogAddress('unix:///dev/log#dgram')).toEqual({ transport: 'unix-dgram', path: '/dev/log' });
  });

  it('says what is wrong', () => {
    expect(parseSyslogAddress('syslog.example:514')).toMatch(/udp:\/\/HOST:PORT/);
    expect(parseSyslogAddress('udp://h:70000')).toMatch(/port from 1 to 65535/);
    expect(parseSyslogAddress('udp://h:x')).toMatch(/port/);
    expect(parseSyslogAddress('unix://dev/log')).toMatch(/absolute path/);
    expect(parseSyslogAddress('unix:///dev/log#seqpacket')).toMatch(/#stream/);
  });

  it('defaults as Gunicorn does', () => {
    expect(defaultSyslogAddress('linux')).toBe('udp://localhost:514');
    expect(defaultSyslogAddress('darwin')).toBe('unix:///var/run/syslog');
    expect(defaultSyslogAddress('freebsd')).toBe('unix:///var/run/log');
  });
});

describe('syslog messages', () => {
  it('are <PRI>tag: body on one line', () => {
    expect(formatSyslogMessage(11, 'pre.app.error', '[12] boom')).toBe('<11>pre.app.error: [12] boom');
    expect(formatSyslogMessage(11, 'pre.app.error', '[12] a\nb\r\nc')).toBe('<11>pre.app.error: [12] a#012b#015#012c');
  });

  it('refuses an unknown facility', () => {
    expect(() => new SyslogSink({ address: 'udp://127.0.0.1:9', facility: 'local9', prefix: 'x' })).toThrow(/syslog_facility: unknown facility 'local9'/);
  });
});

const python = spawnSync('python3', ['-c', 'import socket; socket.AF_UNIX'], { encoding: 'utf8' });
const NO_RECEIVER =
  python.status !== 0 ? `python3 (the unix datagram receiver) cannot run: ${python.error?.message ?? python.stderr.trim()}` : loggerUnavailable();

async function until<T>(check: () => T, what: string): Promise<NonNullable<T>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('LoggerTransport (unix datagram through logger(1))', () => {
  it.skipIf(NO_RECEIVER !== null)(`sends <PRI>, logger's header and the body as one datagram; says once when the receiver dies${NO_RECEIVER === null ? '' : ` — ${NO_RECEIVER}`}`, async () => {
    const socketPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'pre-syslog-unit-')), 'log');
    const receiver = spawn('python3', ['-c', `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
while True:
    print(json.dumps(s.recv(1 << 20).decode()), flush=True)
`, socketPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    receiver.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      await until(() => out.startsWith('ready\n'), 'the receiver');
      const problems: string[] = [];
      const transport = new LoggerTransport({ path: socketPath, tag: 'pre.unit.error', where: `'unix://${socketPath}'`, report: (m) => problems.push(m) });
      const long = 'x'.repeat(5000); // over logger's default 1 KiB: still one message
      transport.send(11, `[1] a#012b ${long}`);
      transport.send(134, '[1] second');
      const received = () => out.split('\n').slice(1).filter(Boolean).map((l) => JSON.parse(l) as string);
      await until(() => received().length === 2, 'two datagrams');
      expect(received()[0]).toMatch(new RegExp(`^<11>[A-Z][a-z]{2} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d pre\\.unit\\.error: \\[1\\] a#012b x{5000}$`));
      expect(received()[1]).toMatch(/^<134>.{15} pre\.unit\.error: \[1\] second$/);
      receiver.kill('SIGKILL');
      await new Promise((resolve) => receiver.once('exit', resolve));
      for (let i = 0; i < 20; i++) transport.send(11, `[1] lost ${i}`);
      await until(() => problems.length > 0, 'the loss to be reported');
      for (let i = 0; i < 20; i++) transport.send(11, `[1] lost again ${i}`);
      await new Promise((r) => setTimeout(r, 100)); // later sends must not report again
      expect(problems).toEqual([
        `cannot send to syslog 'unix://${socketPath}': logger exited (code 1): logger: socket ${socketPath}: Connection refused; no more lines go there from this process`,
      ]);
      transport.close();
    } finally {
      receiver.kill('SIGKILL');
    }
  });
});

describe('captureOutput', () => {
  it('turns writes into lines: stdout as one stream, stderr as the other, partial lines joined', () => {
    const lines: string[] = [];
    const [out, err] = [process.stdout.write, process.stderr.write];
    try {
      const flush = captureOutput({ captured: (stream, line) => lines.push(`${stream}:${line}`) });
      process.stdout.write('a\nb');
      process.stdout.write(Buffer.from('c\r\n'));
      process.stderr.write('e1\n');
      process.stdout.write('tail');
      flush();
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    expect(lines).toEqual(['stdout:a', 'stdout:bc', 'stderr:e1', 'stdout:tail']);
  });
});
