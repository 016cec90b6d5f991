import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startPre, stopAll, waitFor } from '../helpers/pre.js';

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
