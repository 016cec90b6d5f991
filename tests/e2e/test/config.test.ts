import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXTURES, HELLO, ROOT, runPre, startPre, stopAll } from '../helpers/pre.js';

afterEach(stopAll);

function setting(output: string, name: string): string | undefined {
  return output.split('\n').find((l) => l.startsWith(`${name} `))?.split(' = ')[1];
}

describe('settings and config', () => {
  it('layers defaults < config file < PRE_CMD_ARGS < command line', async () => {
    const config = path.join(FIXTURES, 'precedence.config.mjs');
    const { code, stdout } = await runPre(['-c', config, '--print-config', '--keep-alive', '9', HELLO], {
      env: { PRE_CMD_ARGS: '--timeout 12 --keep-alive 8' },
    });
    expect(code).toBe(0);
    expect(setting(stdout, 'workers')).toBe('3'); // file
    expect(setting(stdout, 'max_requests')).toBe('100'); // file
    expect(setting(stdout, 'timeout')).toBe('12'); // env over file
    expect(setting(stdout, 'keepalive')).toBe('9'); // CLI over env and file
    expect(setting(stdout, 'graceful_timeout')).toBe('30'); // default
    expect(setting(stdout, 'bind')).toBe('["127.0.0.1:8000"]');
  });

  it('takes the default worker count from WEB_CONCURRENCY and the bind from PORT', async () => {
    const { stdout } = await runPre(['--print-config', HELLO], { env: { WEB_CONCURRENCY: '5', PORT: '9123' } });
    expect(setting(stdout, 'workers')).toBe('5');
    expect(setting(stdout, 'bind')).toBe('["0.0.0.0:9123"]');
  });

  it('loads ./pre.config.mjs from the current directory without -c', async () => {
    const { stdout } = await runPre(['--print-config', 'app.js'], { cwd: path.join(FIXTURES, 'with-default-config') });
    expect(setting(stdout, 'workers')).toBe('4');
  });

  it('names the setting, the value and what is allowed for a bad value', async () => {
    const cli = await runPre(['--workers', 'zero', HELLO]);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`Invalid value for setting 'workers' (-w/--workers) from the command line: "zero". Expected an integer >= 1.`);

    const file = await runPre(['-c', path.join(FIXTURES, 'bad-setting.config.mjs'), HELLO]);
    expect(file.code).toBe(1);
    expect(file.stderr).toMatch(/Invalid value for setting 'workers' .*config file .*bad-setting\.config\.mjs: "many"\. Expected an integer >= 1\./);

    const level = await runPre(['--log-level', 'loud', HELLO]);
    expect(level.stderr).toContain(`Expected one of 'debug', 'info', 'warning', 'error', 'critical'.`);

    const bind = await runPre(['-b', 'nowhere', HELLO]);
    expect(bind.code).toBe(1);
    expect(bind.stderr).toContain(`Invalid value for setting 'bind' (-b/--bind): "nowhere".`);
  });

  it('rejects an unknown setting in a config file with a suggestion, and an unknown flag', async () => {
    const file = await runPre(['-c', path.join(FIXTURES, 'unknown-setting.config.mjs'), HELLO]);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain(`Unknown setting 'max_request'`);
    expect(file.stderr).toContain(`Did you mean 'max_requests'?`);
    const flag = await runPre(['--wokers', '2', HELLO]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--wokers'");
  });

  it('--check-config loads the app and exits 0, or 4 with the error', async () => {
    const ok = await runPre(['--check-config', HELLO]);
    expect(ok.code).toBe(0);
    const bad = await runPre(['--check-config', path.join(FIXTURES, 'throws-at-import.js')]);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toContain('DATABASE_URL is not set');
  });

  it('--version and --help come from the registry', async () => {
    expect((await runPre(['--version'])).stdout).toMatch(/^pre \d+\.\d+\.\d+\n$/);
    const help = await runPre(['--help']);
    expect(help.code).toBe(0);
    for (const flag of ['-b, --bind ADDRESS', '-w, --workers INT', '-k, --worker-class CLASS', '--max-requests-jitter INT', '--access-logformat FORMAT']) {
      expect(help.stdout).toContain(flag);
    }
  });

  it('an app that cannot be imported stops the arbiter with exit code 4 and the error, without a respawn loop', async () => {
    const pre = startPre([path.join(FIXTURES, 'import-error.js'), '-w', '2', '-b', '127.0.0.1:0']);
    const { code } = await pre.exited;
    expect(code).toBe(4);
    expect(pre.stderr).toContain('App failed to load');
    expect(pre.stderr).toContain('does-not-exist.js');
    // At start the first worker boots alone (worker-pool.ts) for up to 500 ms: its import error usually stops
    // pre before the second spawn; on a loaded machine the second may have started. Never a third.
    expect(pre.stderr.match(/Booting worker with pid/g)?.length).toBeLessThanOrEqual(2);
    expect(pre.stderr.match(/App failed to load/g)?.length).toBe(1);
  });

  it('an app module with no app export says which exports it has', async () => {
    const { code, stderr } = await runPre([path.join(FIXTURES, 'no-app.js'), '-b', '127.0.0.1:0']);
    expect(code).toBe(4);
    expect(stderr).toContain("exports no app: expected a default export, or an export named 'app' or 'handler' (its exports: answer)");
  });

  it('a missing worker class package says what to install', async () => {
    // A project that installed @pre/core alone: copy core (and its one dependency) into a fresh node_modules.
    const project = mkdtempSync(path.join(os.tmpdir(), 'pre-core-only-'));
    const core = path.join(project, 'node_modules/@pre/core');
    for (const part of ['package.json', 'bin', 'dist']) cpSync(path.join(ROOT, 'packages/core', part), path.join(core, part), { recursive: true });
    const { dependencies } = JSON.parse(readFileSync(path.join(ROOT, 'packages/core/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    for (const dep of Object.keys(dependencies)) {
      mkdirSync(path.dirname(path.join(project, 'node_modules', dep)), { recursive: true });
      symlinkSync(realpathSync(path.join(ROOT, 'packages/core/node_modules', dep)), path.join(project, 'node_modules', dep));
    }
    writeFileSync(path.join(project, 'app.js'), 'export default (req, res) => res.end("hi");\n');
    const run = (args: string[]) => new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(core, 'bin/pre.js'), ...args], { cwd: project, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('exit', (code) => resolve({ code, stderr }));
    });
    const threads = await run(['app.js', '-k', 'threads', '-b', '127.0.0.1:0']);
    expect(threads.code).toBe(3);
    expect(threads.stderr).toContain("worker class 'threads' needs @pre/worker-threads: pnpm add @pre/worker-threads");
    const asyncDefault = await run(['app.js', '-b', '127.0.0.1:0']);
    expect(asyncDefault.stderr).toContain("worker class 'async' needs @pre/worker-async");
    const custom = await run(['app.js', '-k', './nowhere.js:Mine']);
    expect(custom.stderr).toContain("worker class './nowhere.js:Mine': cannot find the module './nowhere.js'");
  });
});
