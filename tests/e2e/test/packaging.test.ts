/**
 * The published shape: every package under packages/ is packed with pnpm (which rewrites
 * `workspace:` ranges), the tarballs install with npm into an empty directory, and `pre` works from
 * there. Links in shipped READMEs and messages must point at a file in the tarball, or at a file of the
 * repository by its stable URL (the `repository` of every package.json).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, stopAll, waitFor } from '../helpers/pre.js';

const run = promisify(execFile);
afterEach(stopAll);

const rootPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { packageManager: string };
const PNPM = `pnpm@${rootPackage.packageManager.split('@')[1]}`;

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  repository?: { url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

/** Every publishable package of the repository: packages/NAME with a package.json that is not private. */
const PACKAGES = readdirSync(path.join(ROOT, 'packages'))
  .map((dir) => ({ dir, file: path.join(ROOT, 'packages', dir, 'package.json') }))
  .filter(({ file }) => existsSync(file))
  .map(({ dir, file }) => ({ dir, manifest: JSON.parse(readFileSync(file, 'utf8')) as Manifest }))
  .filter(({ manifest }) => !manifest.private);

/** The repository URL every package names, from @pre/core's `repository` (git+https://…/x.git → https://…/x). */
const REPOSITORY_URL = PACKAGES.find((p) => p.manifest.name === '@pre/core')!.manifest.repository!.url!.replace(/^git\+/, '').replace(/\.git$/, '');

interface Tarball {
  name: string;
  file: string;
  files: Set<string>;
  read: (file: string) => string;
}

let work: string;
let project: string;
const tarballs: Tarball[] = [];

function tarballFor(name: string): Tarball {
  const found = tarballs.find((t) => t.name === name);
  if (!found) throw new Error(`no tarball for ${name}`);
  return found;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'pre-packaging-'));
  const out = path.join(work, 'tarballs');
  await run('npx', ['-y', PNPM, '-r', '--filter', './packages/*', 'pack', '--pack-destination', out], { cwd: ROOT, timeout: 90_000 });
  for (const { manifest } of PACKAGES) {
    const file = path.join(out, readdirSync(out).find((f) => f.startsWith(`${manifest.name.replace(/^@/, '').replace('/', '-')}-`))!);
    const list = (await run('tar', ['-tzf', file])).stdout.split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
    tarballs.push({
      name: manifest.name,
      file,
      files: new Set(list),
      read: (inner) => spawnSync('tar', ['-xzOf', file, `package/${inner}`], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout,
    });
  }

  // An empty project, as a user starts one; the override keeps the advisory-listed ws@8.13.0 of the
  // uWS package out (see @pre/worker-uws's README).
  project = path.join(work, 'project');
  await run('mkdir', ['-p', project]);
  writeFileSync(path.join(project, 'package.json'), `${JSON.stringify({
    name: 'pre-packaging-check', private: true, type: 'module',
    overrides: { '@trufflesuite/uws-js-unofficial': { ws: '^8.17.1' } },
  }, null, 2)}\n`);
  writeFileSync(path.join(project, 'app.js'), "export default () => new Response('hello from the tarballs\\n');\n");
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...tarballs.map((t) => t.file)], {
    cwd: project, timeout: 150_000, env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Where a link points: a file of the tarball, a file of the repository (by its URL), or elsewhere. */
function checkLink(target: string, tarball: Tarball, where: string): string | null {
  const [url] = target.split('#') as [string];
  if (target.startsWith('#')) return null;
  if (target.startsWith(REPOSITORY_URL)) {
    const rest = url.slice(REPOSITORY_URL.length);
    if (rest === '' || rest === '/') return null; // the repository's front page (#readme)
    const repoPath = /^\/(?:blob|tree)\/main\/(.+)$/.exec(rest)?.[1];
    if (!repoPath) return `${where}: ${target} is not a file of the repository`;
    return existsSync(path.join(ROOT, repoPath)) ? null : `${where}: ${target} points at ${repoPath}, which the repository lacks`;
  }
  if (/^[a-z]+:/i.test(target)) return null; // another site (a dependency's docs)
  const inner = path.posix.normalize(url);
  return tarball.files.has(inner) ? null : `${where}: ${target} is not in the ${tarball.name} tarball`;
}

describe('packing every package', () => {
  it('each tarball carries dist, README, LICENSE and a manifest with repository, homepage, bugs and no workspace: ranges', () => {
    expect(tarballs.map((t) => t.name).sort()).toEqual(PACKAGES.map((p) => p.manifest.name).sort());
    expect(REPOSITORY_URL).toMatch(/^https:\/\/[^/]+\/[^/]+\/[^/]+$/);
    for (const tarball of tarballs) {
      const manifest = JSON.parse(tarball.read('package.json')) as Manifest;
      // What the manifest promises (main, types, bins) is in the tarball, with a README and a LICENSE.
      const promised = [manifest.main, manifest.types, ...Object.values(manifest.bin ?? {})].filter((f): f is string => Boolean(f));
      expect(promised.length, tarball.name).toBeGreaterThan(0);
      for (const file of ['package.json', 'README.md', 'LICENSE', ...promised.map((f) => path.posix.normalize(f))]) {
        expect(tarball.files.has(file), `${tarball.name}: ${file}`).toBe(true);
      }
      expect(manifest.license).toBe('MIT');
      expect(tarball.read('LICENSE')).toMatch(/^MIT License/);
      expect(manifest.repository?.url).toBe(`git+${REPOSITORY_URL}.git`);
      expect(existsSync(path.join(ROOT, manifest.repository!.directory!, 'package.json')), `${tarball.name}: repository.directory`).toBe(true);
      expect(manifest.homepage?.startsWith(REPOSITORY_URL)).toBe(true);
      expect(manifest.bugs?.url).toBe(`${REPOSITORY_URL}/issues`);
      // uws's declared conformance gaps ship with it, for `pre-conformance --known-gaps`.
      if (manifest.name === '@pre/worker-uws') expect(tarball.files.has('conformance-gaps.json'), tarball.name).toBe(true);
      const ranges = JSON.stringify({ ...manifest.dependencies, ...manifest.peerDependencies });
      expect(ranges, tarball.name).not.toContain('workspace:');
    }
  });

  it('no link in a shipped README, and no docs page a shipped message names, points at a missing file', () => {
    const problems: string[] = [];
    let links = 0;
    for (const tarball of tarballs) {
      for (const file of [...tarball.files].filter((f) => f.endsWith('.md'))) {
        for (const match of tarball.read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
          links++;
          const problem = checkLink(match[1]!, tarball, `${tarball.name}/${file}`);
          if (problem) problems.push(problem);
        }
      }
      for (const file of [...tarball.files].filter((f) => f.endsWith('.js'))) {
        // Comments are for readers of the repository; what a user sees is in the code.
        const text = tarball.read(file).replace(/^\s*\/\*[\s\S]*?\*\//gm, '').replace(/^\s*\/\/.*$/gm, '');
        // A message naming a docs page by a bare path ("See docs/settings.md") names a file the user does not have.
        for (const match of text.matchAll(/(\S*)(docs\/[\w-]+\.md)/g)) {
          if (!match[1]!.startsWith(REPOSITORY_URL)) problems.push(`${tarball.name}/${file}: names ${match[2]} by a bare path`);
        }
        for (const match of text.matchAll(new RegExp(`${REPOSITORY_URL.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}[^\\s'"\`)]*`, 'g'))) {
          links++;
          const problem = checkLink(match[0].replace(/\$\{.*$/, ''), tarball, `${tarball.name}/${file}`);
          if (problem && !match[0].includes('${')) problems.push(problem);
        }
      }
    }
    expect(problems).toEqual([]);
    expect(links).toBeGreaterThan(5); // the READMEs and messages do link somewhere
  });
});

describe('the installed tarballs, in an empty project', () => {
  const pre = (): string => path.join(project, 'node_modules/.bin/pre');

  it('pre --help works and links the settings reference by a URL that exists', async () => {
    const { stdout } = await run(pre(), ['--help'], { cwd: project });
    expect(stdout).toContain('Usage: pre [OPTIONS] APP');
    const reference = /Full reference: (\S+)/.exec(stdout)?.[1];
    expect(reference).toBe(`${REPOSITORY_URL}/blob/main/docs/settings.md`);
    expect(checkLink(reference!, tarballFor('@pre/core'), '--help')).toBeNull();
  });

  it('a message that points at the docs names a page that exists', async () => {
    writeFileSync(path.join(project, 'pre.config.mjs'), 'export default { max_request: 10 };\n');
    try {
      const result = await run(pre(), ['--print-config', 'app.js'], { cwd: project }).then(() => null, (err: { code: number; stderr: string }) => err);
      expect(result?.code).toBe(1);
      const link = /See (\S+)/.exec(result!.stderr)?.[1];
      expect(link).toBe(`${REPOSITORY_URL}/blob/main/docs/settings.md`);
      expect(checkLink(link!, tarballFor('@pre/core'), 'unknown setting message')).toBeNull();
    } finally {
      rmSync(path.join(project, 'pre.config.mjs'));
    }
  });

  it('every worker class loads from the installed packages', async () => {
    for (const workerClass of ['async', 'sync', 'threads', 'uws']) {
      const { stdout } = await run(pre(), ['--check-config', '-k', workerClass, 'app.js'], { cwd: project });
      expect(stdout).toContain(`Config OK: app app.js, worker class ${workerClass}`);
    }
    // The uWS package's own ws is the overridden, patched one (GHSA-3h5v-q93c-6h6q affects < 8.17.1).
    const ws = ['node_modules/@trufflesuite/uws-js-unofficial/node_modules/ws/package.json', 'node_modules/ws/package.json']
      .map((f) => path.join(project, f)).find(existsSync)!;
    const [major, minor] = (JSON.parse(readFileSync(ws, 'utf8')) as { version: string }).version.split('.').map(Number) as [number, number];
    expect(major > 8 || (major === 8 && minor >= 17)).toBe(true);
  });

  /** Starts the installed `pre` with `args`, answers one request, stops it; returns its log. */
  async function serveOnce(args: readonly string[]): Promise<string> {
    const child = spawn(pre(), ['-b', '127.0.0.1:0', ...args, 'app.js'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PRE_CMD_ARGS: '', WEB_CONCURRENCY: '' } });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = (await waitFor(() => /Listening at: (\S+)/.exec(stderr) ?? (child.exitCode !== null ? Promise.reject(new Error(stderr)) : null), 'pre to listen'))[1]!;
      const res = await waitFor(async () => request(url).catch(() => null), 'the first answer');
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('hello from the tarballs\n');
      return stderr;
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  }

  it('serves a request from there', async () => {
    await serveOnce([]);
  });

  it('a worker class outside the project, by path or linked in as a symlink, imports the @pre/core that runs it', async () => {
    // A worker package as its author develops it: @pre/core is a peer dependency, not installed beside it.
    const worker = path.join(work, 'my-worker');
    mkdirSync(worker, { recursive: true });
    writeFileSync(path.join(worker, 'package.json'), `${JSON.stringify({ name: 'my-worker', version: '1.0.0', type: 'module', main: 'worker.js', peerDependencies: { '@pre/core': '^0.1.0' } }, null, 2)}\n`);
    writeFileSync(path.join(worker, 'worker.js'), [
      "import { once } from 'node:events';",
      "import { HttpDrain, Worker, createNodeServer } from '@pre/core';",
      'export default class MyWorker extends Worker {',
      '  #drain = new HttpDrain();',
      '  async run() {',
      '    for (const listener of this.listeners) {',
      '      const server = createNodeServer(this, this.#drain);',
      '      server.listen({ fd: listener.fd }, this.settings.backlog);',
      "      await once(server, 'listening');",
      '    }',
      "    this.log.info(`my-worker serving in ${process.pid}`);",
      '  }',
      '  async stop(graceful) {',
      '    if (graceful) await this.#drain.drain();',
      '    else this.#drain.closeAll();',
      '  }',
      '}',
      '',
    ].join('\n'));
    expect(await serveOnce(['-k', path.join(worker, 'worker.js')])).toMatch(/my-worker serving in \d+/);
    symlinkSync(worker, path.join(project, 'node_modules/my-worker')); // what `npm link my-worker` makes
    try {
      expect(await serveOnce(['-k', 'my-worker'])).toMatch(/my-worker serving in \d+/);
    } finally {
      rmSync(path.join(project, 'node_modules/my-worker'));
    }
  });
});
