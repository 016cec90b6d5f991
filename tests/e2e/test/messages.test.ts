import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { HELLO, PRE_BIN, runPre, startPre, stopAll } from '../helpers/pre.js';

afterEach(stopAll);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'pre-messages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A project directory with a package.json and a pre.config.js. */
function project(name: string, packageJson: object, config: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(packageJson)}\n`);
  writeFileSync(path.join(dir, 'pre.config.js'), config);
  return dir;
}

describe('did you mean', () => {
  it("-k thread: did you mean 'threads'?", async () => {
    const { code, stderr } = await runPre(['-k', 'thread', '-b', '127.0.0.1:0', HELLO]);
    expect(code).toBe(3);
    expect(stderr).toContain("worker class 'thread': cannot find the module 'thread'");
    expect(stderr).toContain("Did you mean 'threads'?");
    expect(stderr).not.toContain('Listening at');
  });

  it('an option one edit from a known one names it; one far from any does not guess', async () => {
    const near = await runPre(['--worker', '2', HELLO]);
    expect(near.code).toBe(2);
    expect(near.stderr).toContain("Unknown option '--worker'. Did you mean '--workers'?");
    const dash = await runPre(['--max-request', '5', HELLO]);
    expect(dash.stderr).toContain("Did you mean '--max-requests'?");
    const far = await runPre(['--frobnicate', HELLO]);
    expect(far.code).toBe(2);
    expect(far.stderr).toContain("Unknown option '--frobnicate'");
    expect(far.stderr).not.toContain('Did you mean');
  });
});

describe('config files that fail to load', () => {
  it('a syntax error in a .js config names the line and column', async () => {
    const dir = project('syntax', { type: 'module' }, 'export default {\n  workers: 2,\n  bind: [,, "x"\n  timeout: 5,\n};\n');
    const { code, stderr } = await runPre(['--print-config', HELLO], { cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toContain(`Cannot load config file ${path.join(dir, 'pre.config.js')}: Unexpected identifier`);
    expect(stderr).toMatch(/at line 4, column 3\n {4}timeout: 5,\n {4}\^/);
  });

  it('ESM syntax in pre.config.js of a CommonJS project says to use .mjs or "type": "module"', async () => {
    // What `npm init -y` writes (npm 10.9+). Without any "type", Node 20.19+ detects ES module syntax by itself.
    const dir = project('cjs', { name: 'x', version: '1.0.0', main: 'index.js', type: 'commonjs' }, 'export default { workers: 2 };\n');
    const { code, stderr } = await runPre(['--print-config', HELLO], { cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toContain(`${path.join(dir, 'package.json')} sets "type": "commonjs", so Node loads .js files as CommonJS`);
    expect(stderr).toContain('Rename it to pre.config.mjs, or set "type": "module" in package.json.');
    // The advice works: the same file as .mjs loads.
    renameSync(path.join(dir, 'pre.config.js'), path.join(dir, 'pre.config.mjs'));
    const renamed = await runPre(['--print-config', HELLO], { cwd: dir });
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toMatch(/^workers\s+= 2$/m);
  });
});

describe('the app module', () => {
  it('a missing app is reported before binding and forking', async () => {
    const { code, stderr } = await runPre(['-b', '127.0.0.1:0', '-w', '2', path.join(tmp, 'no-such-app.js')]);
    expect(code).toBe(4);
    expect(stderr).toContain(`Cannot find the app module '${path.join(tmp, 'no-such-app.js')}'`);
    expect(stderr).not.toContain('Listening at');
    expect(stderr).not.toContain('Booting worker');
  });
});

describe('--help', () => {
  it('shows defaults and keeps its description column aligned', async () => {
    const { code, stdout } = await runPre(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^ {2}-w, --workers INT +The number of worker processes\. \[default: \$WEB_CONCURRENCY, or 1\]$/m);
    expect(stdout).toMatch(/^ {2}-k, --worker-class CLASS +.*\[default: async\]$/m);
    expect(stdout).toMatch(/^ {2}--backlog INT +.*\[default: 2048\]$/m);
    const entries = stdout.split('\n').filter((line) => line.startsWith('  '));
    expect(entries.length).toBeGreaterThan(50);
    const column = /^ {2}-w, --workers INT +/.exec(stdout.split('\n').find((l) => l.startsWith('  -w, --workers'))!)![0].length;
    entries.forEach((line, i) => {
      if (line.length > column && line[column - 1] === ' ' && line[column] !== ' ' && line.slice(0, column).trim() !== '') return; // flags, then the description
      if (/^ +$/.test(line.slice(0, column)) && line[column] !== ' ') return; // the description of long flags, on its own line
      if (entries[i + 1] && /^ +$/.test(entries[i + 1]!.slice(0, column))) return; // long flags alone on their line
      throw new Error(`misaligned --help line: ${JSON.stringify(line)}`);
    });
  });
});

describe('pre ctl', () => {
  it('an unknown command exits 2, as its help says', async () => {
    const socket = path.join(tmp, 'ctl.sock');
    const pre = startPre([HELLO, '-b', '127.0.0.1:0', '--log-level', 'debug', '--control-socket', socket]);
    await pre.ready(1);
    const child = spawn(process.execPath, [PRE_BIN, 'ctl', '-s', socket, 'show', 'wokers'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toContain("Unknown command 'show wokers'");
  });
});
