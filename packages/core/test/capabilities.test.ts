import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveSettings } from '../src/settings/load.js';
import type { Settings } from '../src/settings/registry.js';
import {
  DEFAULT_CAPABILITIES, SETTING_RULES, appRefusals, capabilitiesOf, formatRefusals, settingRefusals, type Capability, type WorkerCapabilities,
} from '../src/worker/capabilities.js';
import { resolveWorkerClass } from '../src/worker/resolve.js';
import { Worker } from '../src/worker/worker.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ALL: WorkerCapabilities = Object.fromEntries(Object.keys(DEFAULT_CAPABILITIES).map((k) => [k, true])) as unknown as WorkerCapabilities;
const NONE: WorkerCapabilities = Object.fromEntries(Object.keys(DEFAULT_CAPABILITIES).map((k) => [k, false])) as unknown as WorkerCapabilities;

async function settingsFrom(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<Settings> {
  return (await resolveSettings({ argv: [...argv, 'app.js'], env, cwd: HERE })).settings;
}

function needed(refusals: { setting: string; capability: Capability }[]): string[] {
  return refusals.map((r) => `${r.setting}:${r.capability}`);
}

describe('settings → capabilities', () => {
  it('the defaults need nothing, even from a class that honours nothing', async () => {
    expect(settingRefusals(NONE, await settingsFrom([]))).toEqual([]);
  });

  it('each setting maps to its capability', async () => {
    const cases: [string[], string][] = [
      [['--certfile', 'c.pem', '--keyfile', 'k.pem'], 'certfile:tls keyfile:tls'],
      [['--ca-certs', 'ca.pem', '--cert-reqs', '2', '--ciphers', 'ECDHE+AESGCM', '--tls-min-version', 'TLSv1.3'], 'ca_certs:tls cert_reqs:tls ciphers:tls tls_min_version:tls'],
      [['--proxy-protocol'], 'proxy_protocol:proxyProtocol'],
      [['--forwarded-allow-ips', '*', '--forwarder-headers', 'X-REAL-IP'], 'forwarded_allow_ips:forwardedHeaders forwarder_headers:forwardedHeaders'],
      [['--headers-timeout', '5', '--request-timeout', '60'], 'headers_timeout:headersTimeout request_timeout:requestTimeout'],
      [['--keep-alive', '10'], 'keepalive:keepalive'],
      [['--keep-alive', '0'], 'keepalive:keepaliveOff'],
      [['--worker-connections', '10', '--backlog', '64'], 'worker_connections:workerConnections backlog:backlog'],
      [['--threads', '2'], 'threads:threads'],
      [['--limit-request-body', '1048576'], 'limit_request_body:limitRequestBody'],
      [['--keepalive-rebalance', 'on'], 'keepalive_rebalance:shedConnections'],
      [['-b', 'unix:/tmp/a.sock', '-b', 'fd://3', '-b', '127.0.0.1:9'], 'bind:unixSockets bind:inheritedSockets'],
    ];
    for (const [argv, expected] of cases) {
      expect(needed(settingRefusals(NONE, await settingsFrom(argv))), argv.join(' ')).toEqual(expected.split(' '));
      expect(settingRefusals(ALL, await settingsFrom(argv)), argv.join(' ')).toEqual([]);
    }
  });

  it('threads 1, proxy_protocol false and values equal to the defaults need nothing', async () => {
    const settings = await settingsFrom(['--threads', '1', '--keep-alive', '5', '--headers-timeout', '10', '--forwarded-allow-ips', '127.0.0.1,::1', '--limit-request-body', '0']);
    expect(settingRefusals(NONE, settings)).toEqual([]);
    // keepalive_rebalance: auto (the default) and off are inactive on a class that cannot shed; only on is refused.
    expect(settingRefusals(NONE, await settingsFrom(['--keepalive-rebalance', 'off']))).toEqual([]);
    expect(settingRefusals(NONE, await settingsFrom(['--keepalive-rebalance', 'auto']))).toEqual([]);
  });

  it('FORWARDED_ALLOW_IPS from the environment counts as set', async () => {
    expect(needed(settingRefusals(NONE, await settingsFrom([], { FORWARDED_ALLOW_IPS: '10.0.0.1' })))).toEqual(['forwarded_allow_ips:forwardedHeaders']);
  });

  it('the sockets systemd passed are checked instead of bind', async () => {
    const settings = await settingsFrom(['-b', 'unix:/tmp/a.sock']);
    expect(needed(settingRefusals(NONE, settings, ['fd://3']))).toEqual(['bind:inheritedSockets']);
  });

  it('an ssl_context hook needs TLS', async () => {
    const settings = { ...(await settingsFrom([])), ssl_context: (options: object) => options } as Settings;
    expect(settingRefusals(NONE, settings)).toEqual([{ setting: 'ssl_context', value: 'a hook', capability: 'tls' }]);
  });
});

describe('apps → capabilities', () => {
  it('a node listener needs nodeApps, a fetch handler fetchApps, a websocket export websockets', () => {
    const fetchOnly = { ...ALL, nodeApps: false };
    expect(needed(appRefusals(fetchOnly, { shape: 'node', spec: 'apps/express' }))).toEqual(['app:nodeApps']);
    expect(appRefusals(fetchOnly, { shape: 'fetch', spec: 'apps/hono' })).toEqual([]);
    expect(needed(appRefusals({ ...ALL, fetchApps: false }, { shape: 'fetch', spec: 'apps/hono' }))).toEqual(['app:fetchApps']);
    const websocket = { open() {} };
    expect(needed(appRefusals({ ...ALL, websockets: false }, { shape: 'fetch', spec: 'apps/chat', websocket }))).toEqual(['app:websockets']);
    expect(appRefusals(ALL, { shape: 'fetch', spec: 'apps/chat', websocket })).toEqual([]);
  });
});

describe('declarations', () => {
  it('a class that declares nothing gets the defaults: both app shapes on any socket pre binds, nothing else', () => {
    class Plain extends Worker {
      async run(): Promise<void> {}
      async stop(): Promise<void> {}
    }
    expect(capabilitiesOf(Plain)).toEqual(DEFAULT_CAPABILITIES);
    expect(DEFAULT_CAPABILITIES).toMatchObject({ nodeApps: true, fetchApps: true, unixSockets: true, inheritedSockets: true, tls: false, keepalive: false, websockets: false });
  });

  it('a declaration overrides the defaults; unknown names and non-booleans are ignored; self-binding classes never inherit sockets', () => {
    const declared = capabilitiesOf({ capabilities: { tls: true, bogus: true, keepalive: 'yes' } as never });
    expect(declared).toEqual({ ...DEFAULT_CAPABILITIES, tls: true });
    expect(capabilitiesOf({ bindsOwnListeners: true, capabilities: { inheritedSockets: true } }).inheritedSockets).toBe(false);
  });
});

describe('refusal messages', () => {
  const alternatives = { async: { ...ALL, threads: false }, sync: { ...ALL, keepalive: false, threads: false }, uws: { ...NONE, fetchApps: true, threads: true } };

  it('one line per refusal, naming the setting, its value, the class and the built-in classes that would do', async () => {
    const refusals = settingRefusals({ ...ALL, tls: false, keepalive: false }, await settingsFrom(['--certfile', 'c.pem', '--keyfile', 'k.pem', '--keep-alive', '10']));
    const text = formatRefusals(refusals, { workerClass: 'uws', builtin: true, alternatives });
    expect(text.split('\n')).toEqual([
      "worker class 'uws' cannot honour certfile = c.pem (TLS): use --worker-class async or sync, or remove certfile",
      "worker class 'uws' cannot honour keyfile = k.pem (TLS): use --worker-class async or sync, or remove keyfile",
      "worker class 'uws' cannot honour keepalive = 10 (keep-alive): use --worker-class async, or leave keepalive at its default (5)",
    ]);
  });

  it('a third-party class is told how to declare support', async () => {
    const refusals = settingRefusals(DEFAULT_CAPABILITIES, await settingsFrom(['--certfile', 'c.pem', '--keyfile', 'k.pem']));
    const text = formatRefusals(refusals, { workerClass: './mine.js:Mine', builtin: false, alternatives });
    expect(text).toContain("worker class './mine.js:Mine' cannot honour certfile = c.pem (TLS)");
    expect(text.split('\n').at(-1)).toBe(
      "If the class './mine.js:Mine' does support this, declare it: static capabilities = { ...Worker.capabilities, tls: true } (see https://github.com/pre-http/pre/blob/main/docs/writing-a-worker.md#capabilities).",
    );
  });

  it('an app of the wrong shape names the shape, the class and the way out', () => {
    const text = formatRefusals(appRefusals(alternatives.uws, { shape: 'node', spec: 'apps/express' }), { workerClass: 'uws', builtin: true, alternatives });
    expect(text).toBe("worker class 'uws' cannot serve apps/express: the uws worker class serves fetch-style apps only ({ fetch(request) }, Hono, ...), and apps/express is a Node request listener (req, res): use --worker-class async or sync, or export a fetch handler");
  });
});

describe('resolution', () => {
  it('refuses a class with run() and stop() that does not extend Worker, and accepts one extending another copy of core', async () => {
    const dir = path.join(HERE, 'fixtures');
    await expect(resolveWorkerClass('./not-a-worker.mjs', dir)).rejects.toMatchObject({
      code: 'PRE_ERR_WORKER_CLASS',
      message: expect.stringContaining('(Impostor) does not extend Worker from @pre/core'),
    });
    const other = await resolveWorkerClass('./other-core-worker.mjs', dir);
    expect(other.builtin).toBe(false);
    expect(other.capabilities).toEqual({ ...DEFAULT_CAPABILITIES, tls: true });
  });
});
