import { describe, expect, it } from 'vitest';
import { parseBindAddress } from '../src/listeners/address.js';
import { parseCommandLine, splitCommandString } from '../src/settings/parse-args.js';
import { resolveSettings } from '../src/settings/load.js';
import { parseAppSpec } from '../src/app/spec.js';

describe('bind addresses', () => {
  it('parses every documented form', () => {
    expect(parseBindAddress('127.0.0.1:8000')).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 8000, family: 4 });
    expect(parseBindAddress('[::1]:80')).toMatchObject({ kind: 'tcp', host: '::1', port: 80, family: 6 });
    expect(parseBindAddress(':9000')).toMatchObject({ kind: 'tcp', host: '0.0.0.0', port: 9000 });
    expect(parseBindAddress('unix:/tmp/a.sock')).toMatchObject({ kind: 'unix', path: '/tmp/a.sock' });
    expect(parseBindAddress('fd://3')).toMatchObject({ kind: 'fd', fd: 3 });
  });

  it('rejects malformed ones with the setting name and value', () => {
    expect(() => parseBindAddress('localhost')).toThrow(`Invalid value for setting 'bind' (-b/--bind): "localhost".`);
    expect(() => parseBindAddress('1.2.3.4:70000')).toThrow('The port must be from 0 to 65535.');
    expect(() => parseBindAddress('[nope]:80')).toThrow("'nope' is not an IPv6 address.");
  });
});

describe('command line', () => {
  it('maps Gunicorn flags to settings and keeps repeatable ones', () => {
    const { raw } = parseCommandLine(['-w', '4', '-b', ':1', '--bind', ':2', '-e', 'A=1', '-k', 'async', 'app.js:handler']);
    expect(raw.get('workers')).toBe('4');
    expect(raw.get('bind')).toEqual([':1', ':2']);
    expect(raw.get('raw_env')).toEqual(['A=1']);
    expect(raw.get('app')).toBe('app.js:handler');
  });

  it('splits PRE_CMD_ARGS like a shell', () => {
    expect(splitCommandString(`-w 2 --name "my app" -e 'A=b c'`)).toEqual(['-w', '2', '--name', 'my app', '-e', 'A=b c']);
  });

  it('parses app specs', () => {
    expect(parseAppSpec('app.js')).toEqual({ module: 'app.js', exportName: null, callFactory: false });
    expect(parseAppSpec('./app.js:handler')).toEqual({ module: './app.js', exportName: 'handler', callFactory: false });
    expect(parseAppSpec('pkg:create()')).toEqual({ module: 'pkg', exportName: 'create', callFactory: true });
  });

  it('validates and types values', async () => {
    const { settings } = await resolveSettings({ argv: ['-t', '2.5', '--keep-alive', '0', 'x.js'], env: {}, cwd: '/nonexistent' });
    expect(settings.timeout).toBe(2.5);
    expect(settings.keepalive).toBe(0);
    expect(settings.workers).toBe(1);
    await expect(resolveSettings({ argv: ['--max-requests=-1'], env: {}, cwd: '/' })).rejects.toThrow(/max_requests.*Expected an integer >= 0/);
    await expect(resolveSettings({ argv: [], env: { WEB_CONCURRENCY: 'lots' }, cwd: '/' })).rejects.toThrow(/WEB_CONCURRENCY|workers/);
  });

  it('limit_request_body: bytes, 0 (the default) for no limit; a bad value names the setting and the value', async () => {
    expect((await resolveSettings({ argv: ['x.js'], env: {}, cwd: '/nonexistent' })).settings.limit_request_body).toBe(0);
    const { settings } = await resolveSettings({ argv: ['--limit-request-body', '10485760', 'x.js'], env: {}, cwd: '/nonexistent' });
    expect(settings.limit_request_body).toBe(10_485_760);
    for (const bad of ['-1', '1.5', '10MB']) {
      const attempt = resolveSettings({ argv: [`--limit-request-body=${bad}`, 'x.js'], env: {}, cwd: '/nonexistent' });
      await expect(attempt).rejects.toMatchObject({ code: 'PRE_ERR_BAD_SETTING' });
      await expect(attempt).rejects.toThrow(new RegExp(`limit_request_body.*${bad.replace('.', '\\.')}`));
    }
  });
});
