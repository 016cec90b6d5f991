// What a process loads at start-up: features a setting turns on are imported when used, not before
// (start-up time and idle RSS of the master and of every worker; see bench/startup).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HELLO, startPre, stopAll } from '../helpers/pre.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const E2E = path.resolve(HERE, '..');
const CORE = path.resolve(HERE, '../../../packages/core');
const DIST = path.join(CORE, 'dist');
const BUNDLE = path.join(DIST, 'bundle');
const RECORDER = path.join(E2E, 'fixtures/record-loads.mjs');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'pre-lazy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Loaded {
  /** URLs of the JS modules loaded (ESM, and CommonJS imported from ESM). */
  readonly modules: string[];
  /** Node's own modules loaded (process.moduleLoadList). */
  readonly builtins: string[];
}

/**
 * Runs `code` (ESM) in a new node process and reports what it loaded. Bare specifiers resolve from `cwd`:
 * this package (which depends on @pre/core and every worker class) or @pre/core's own.
 */
function loadsOf(code: string, cwd = E2E): Loaded {
  if (!existsSync(path.join(DIST, 'index.js'))) throw new Error(`${DIST} is missing: build @pre/core first`);
  const log = path.join(tmp, `loads-${Math.random().toString(36).slice(2)}.log`);
  const script = `${code}\nconsole.log(JSON.stringify(process.moduleLoadList));`;
  const out = execFileSync(process.execPath, ['--import', pathToFileURL(RECORDER).href, '--input-type=module', '-e', script], {
    cwd,
    env: { ...process.env, PRE_LOAD_LOG: log },
    encoding: 'utf8',
  });
  return { modules: readFileSync(log, 'utf8').trim().split('\n'), builtins: JSON.parse(out.trim().split('\n').at(-1)!) as string[] };
}

const importOf = (file: string): string => `await import(${JSON.stringify(pathToFileURL(path.join(DIST, file)).href)});`;

/** Packages and pre modules that only some settings need (per-module build, and the bundle's lazy chunks), and Node modules that cost start-up time. */
const SETTING_ONLY = [/\/prom-client\//, /\/chokidar\//, /\/tinyglobby\//, /\/node_modules\/(?:\.pnpm\/)?ws[@/]/, /\/tsx\//, /\/core\/dist\/metrics\/(?:prometheus|statsd|arbiter-metrics|worker-metrics|worker-registry)\.js$/, /\/core\/dist\/health\/health-server\.js$/, /\/core\/dist\/arbiter\/reloader\.js$/, /\/core\/dist\/bundle\/(?:prometheus|statsd|arbiter-metrics|worker-metrics|worker-registry|health-server|reloader)-[A-Z0-9]+\.js$/];
const NEVER_IN_A_WORKER = [/\/core\/dist\/bundle\/(?:cli|ctl|help-[A-Z0-9]+)\.js$/, /\/core\/dist\/arbiter\//, /\/core\/dist\/control\//, /\/core\/dist\/settings\/(?:help|docs)\.js$/, /\/core\/dist\/cli\.js$/];
const ALL_COSTLY_BUILTINS = ['NativeModule internal/deps/undici/undici', 'NativeModule tls', 'NativeModule https'];
/** Node modules only some settings need: DNS for a bind given as a host name. (node:dgram comes with node:child_process.) */
const SETTING_ONLY_BUILTINS = ['NativeModule dns/promises'];
/**
 * Those that importing node:http itself does not load on this Node version: from ESM, Node ≥ 22 builds
 * node:http's namespace with its lazy WebSocket exports, which loads undici and tls; nothing pre can avoid.
 */
const COSTLY_BUILTINS = ALL_COSTLY_BUILTINS.filter((name) => !loadsOf(`await import('node:http'); await import('node:net');`).builtins.includes(name));

function expectNone(loaded: Loaded, patterns: RegExp[], builtins: string[]): void {
  expect(loaded.modules.filter((url) => patterns.some((p) => p.test(url)))).toEqual([]);
  expect(loaded.builtins.filter((name) => builtins.includes(name))).toEqual([]);
}

describe('lazy imports', () => {
  it('sees what a process loads (the recorder and the patterns work)', () => {
    const loaded = loadsOf(`await import('prom-client'); await import('node:https'); new Request('http://x/');`, CORE);
    expect(loaded.modules.some((url) => SETTING_ONLY[0]!.test(url))).toBe(true);
    expect(loaded.builtins).toEqual(expect.arrayContaining(ALL_COSTLY_BUILTINS));
    expect(loadsOf(`await import('node:dns/promises');`).builtins).toEqual(expect.arrayContaining(SETTING_ONLY_BUILTINS));
  });

  it('a worker importing @pre/core and the async worker class loads no metrics, control, arbiter, ws, undici or TLS', () => {
    const loaded = loadsOf(`await import('@pre/core'); await import('@pre/worker-async');`);
    expect(loaded.modules.some((url) => url.endsWith('/core/dist/bundle/index.js'))).toBe(true);
    expect(loaded.modules.some((url) => url.endsWith('/worker-async/dist/index.js'))).toBe(true);
    expectNone(loaded, [...SETTING_ONLY, ...NEVER_IN_A_WORKER], COSTLY_BUILTINS);
  });

  it("a worker process's runtime loads none of them either, nor DNS", () => {
    const loaded = loadsOf(importOf('worker/runtime.js'));
    expect(loaded.modules.some((url) => url.endsWith('/core/dist/worker/runtime.js'))).toBe(true);
    expectNone(loaded, [...SETTING_ONLY, ...NEVER_IN_A_WORKER], [...COSTLY_BUILTINS, ...SETTING_ONLY_BUILTINS]);
  });

  it('the master (cli and arbiter) loads no metrics, file watcher, control client, help text, undici, TLS or DNS', () => {
    const loaded = loadsOf(importOf('cli.js') + importOf('arbiter/arbiter.js'));
    expectNone(loaded, [...SETTING_ONLY, /\/core\/dist\/control\/(?:cli|client|interactive|top)\.js$/, /\/core\/dist\/settings\/help\.js$/], [...COSTLY_BUILTINS, ...SETTING_ONLY_BUILTINS]);
  });

  it("the bundle names its lazy chunks after their modules (the patterns above can match them)", () => {
    const files = readdirSync(BUNDLE);
    for (const name of ['arbiter-metrics', 'worker-metrics', 'reloader', 'help']) {
      expect(files.filter((f) => new RegExp(`^${name}-[A-Z0-9]+\\.js$`).test(f)), name).toHaveLength(1);
    }
  });
});

describe('what pre loads, process by process', () => {
  afterEach(() => stopAll());

  /** `pre apps/hello -w 1` under the recorder until it serves: what its master and its worker loaded, by pid. */
  async function loadsOfPre(): Promise<{ master: string[]; worker: string[] }> {
    const dir = mkdtempSync(path.join(tmp, 'pre-'));
    const pre = startPre([HELLO, '-w', '1', '-b', '127.0.0.1:0', '--log-level', 'debug'], {
      env: { NODE_OPTIONS: `--import ${pathToFileURL(RECORDER).href}`, PRE_LOAD_LOG: path.join(dir, '%p.log') },
    });
    const [workerPid] = await pre.waitForWorkers(1);
    const url = await pre.url();
    expect((await fetch(url)).status).toBe(200);
    const read = (pid: number): string[] => readFileSync(path.join(dir, `${pid}.log`), 'utf8').trim().split('\n');
    return { master: read(pre.pid), worker: read(workerPid!) };
  }

  it('master and worker run the bundle (a few files, not ~80 modules each) and load nothing a setting did not ask for', async () => {
    const { master, worker } = await loadsOfPre();
    const core = (urls: string[]): string[] => urls.filter((url) => url.includes('/packages/core/'));
    for (const urls of [master, worker]) {
      expect(core(urls).filter((url) => !url.includes('/core/dist/bundle/') && !url.endsWith('/core/bin/pre.js'))).toEqual([]);
      expect(core(urls).length).toBeLessThanOrEqual(30);
      expect(urls.filter((url) => SETTING_ONLY.some((p) => p.test(url)))).toEqual([]);
    }
    expect(master.some((url) => url.endsWith('/core/dist/bundle/cli.js'))).toBe(true);
    expect(master.filter((url) => /\/core\/dist\/bundle\/(?:ctl|worker|runtime-[A-Z0-9]+|help-[A-Z0-9]+)\.js$/.test(url))).toEqual([]);
    expect(worker.some((url) => url.endsWith('/core/dist/bundle/worker.js'))).toBe(true);
    expect(worker.filter((url) => NEVER_IN_A_WORKER.some((p) => p.test(url)))).toEqual([]);
  });
});

