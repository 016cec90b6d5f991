import { describe, expect, it } from 'vitest';
import { defaultSyslogAddress, parseSyslogAddress } from '../src/logging/syslog-address.js';
import { formatSyslogMessage } from '../src/logging/syslog-format.js';
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
