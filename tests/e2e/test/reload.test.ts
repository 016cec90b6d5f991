import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientLoop } from '../helpers/client.js';
import { isAlive, startPre, stopAll, waitFor } from '../helpers/pre.js';

afterEach(stopAll);

const version = (v: string) => `export default (req, res) => res.end('${v} ' + process.pid);\n`;

async function body(url: string): Promise<string> {
  return (await fetch(url)).text();
}

describe('reload on code change', () => {
  it('restarts the workers when the app changes; a syntax error keeps the old workers serving', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-reload-'));
    const app = path.join(dir, 'app.js');
    writeFileSync(app, version('v1'));
    const pre = startPre([app, '-b', '127.0.0.1:0', '--reload', '--log-level', 'debug'], { cwd: dir });
    const url = await pre.ready();
    await pre.waitForLog(/Watching .* for changes/);
    expect(await body(url)).toMatch(/^v1 /);

    writeFileSync(app, version('v2'));
    await waitFor(async () => (await body(url)).startsWith('v2 '), 'v2 to be served');
    await pre.waitForLog(/Reloading: app\.js changed/);

    writeFileSync(app, 'export default (req, res) => { res.end("broken" ;\n');
    await pre.waitForLog(/Reload failed, the previous workers keep serving/, 20_000);
    expect(await body(url)).toMatch(/^v2 /);

    writeFileSync(app, version('v3'));
    await waitFor(async () => (await body(url)).startsWith('v3 '), 'v3 to be served', 20_000);
  });

  it('watches reload_extra_files patterns, including files created after the start', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-reload-extra-'));
    mkdirSync(path.join(dir, 'conf'));
    mkdirSync(path.join(dir, 'src'));
    writeFileSync(path.join(dir, 'src/app.js'), version('same'));
    writeFileSync(path.join(dir, 'conf/a.json'), '{}');
    const pre = startPre(['src/app.js', '-b', '127.0.0.1:0', '--reload', '--reload-extra-file', 'conf/*.json', '--log-level', 'debug'], { cwd: dir });
    await pre.ready();
    await pre.waitForLog(/Watching .* and conf\/\*\.json for changes/);
    writeFileSync(path.join(dir, 'conf/a.json'), '{"changed":true}');
    await pre.waitForLog(/Reloading: conf\/a\.json changed/);
    writeFileSync(path.join(dir, 'conf/new.json'), '{}');
    await pre.waitForLog(/Reloading: conf\/new\.json changed/);
  });
});

describe('HUP with code that no longer imports', () => {
  it('keeps both old workers serving, spawns nothing more, says so once; the next HUP after a fix reloads', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pre-hup-broken-'));
    const app = path.join(dir, 'app.js');
    writeFileSync(app, 'export default (req, res) => res.end(String(process.pid));\n');
    const pre = startPre([app, '-b', '127.0.0.1:0', '-w', '2', '--log-level', 'debug'], { cwd: dir });
    const url = await pre.url();
    const old = await pre.waitForWorkers(2);
    let finish!: () => void;
    const loop = clientLoop(url, new Promise<void>((r) => (finish = r)), { concurrency: 4 });

    writeFileSync(app, "throw new Error('broken at import');\n");
    pre.signal('SIGHUP');
    await pre.waitForLog(/Reload failed, the previous workers keep serving/, 20_000);
    const booting = (): number => pre.stderr.match(/Booting worker with pid/g)!.length;
    const bootingAtFailure = booting();
    expect(bootingAtFailure).toBe(4); // the 2 old ones and the 2 of the broken generation
    // For ~3 s: no new worker is spawned (polled, so a spawn fails the test as soon as it shows).
    const watchUntil = Date.now() + 3000;
    await waitFor(() => {
      if (booting() !== bootingAtFailure) throw new Error(`a worker was spawned after the failed reload:\n${pre.stderr}`);
      return Date.now() >= watchUntil;
    }, 'three quiet seconds', 10_000);
    finish();
    const result = await loop;
    expect(result.errors).toEqual([]);
    expect(result.ok).toBeGreaterThan(0);
    expect([...result.pids].every((pid) => old.includes(pid))).toBe(true);
    expect(old.every(isAlive)).toBe(true);
    expect(pre.stderr.match(/Reload failed/g)).toHaveLength(1);
    expect(pre.stderr).toContain('broken at import');

    writeFileSync(app, "export default (req, res) => res.end('fixed ' + process.pid);\n");
    pre.signal('SIGHUP');
    await waitFor(async () => (await body(url)).startsWith('fixed '), 'the fixed code to be served', 20_000);
    await waitFor(() => old.every((pid) => !isAlive(pid)), 'the old workers to be retired');
  });
});
