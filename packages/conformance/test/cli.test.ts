// The CLI end to end: it starts the real pre. A deliberately broken class fails (exit 1, the failing
// cases named); the async class passes a couple of groups (exit 0); the JSON report matches the lines.
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runKit } from './run-kit.js';

const lastLine = (text: string): string => text.trim().split('\n').pop()!;

describe('pre-conformance', () => {
  it('fails a class that answers 200 to everything and never closes: exit 1, the failing cases printed', async () => {
    const { code, stdout } = await runKit(['-k', './test/fixtures/lenient-worker.js:LenientWorker', '--only', 'framing-malformed,keepalive']);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^✗ framing-malformed\/host-missing  .*expected 400 and the connection closed, got HTTP\/1\.1 200 OK/m);
    expect(stdout).toMatch(/^✗ framing-malformed\/cl-list-different /m);
    expect(stdout).toMatch(/^✗ keepalive\/client-close  .*got a body that is not the echo JSON: "ok"/m);
    const [, passed, failed] = /^(\d+) passed, (\d+) failed/.exec(lastLine(stdout))!;
    expect(Number(failed)).toBeGreaterThan(40);
    expect(Number(passed) + Number(failed)).toBe(stdout.split('\n').filter((l) => /^[✓✗–·] [\w-]+\/[\w.-]+  /.test(l)).length);
  });

  it('passes async on the limits and bodies groups: exit 0, one line per case, JSON written', async () => {
    const json = path.join(mkdtempSync(path.join(os.tmpdir(), 'kit-test-')), 'report.json');
    const { code, stdout } = await runKit(['-k', 'async', '--only', 'limits,bodies', '--json', json]);
    expect(stdout).not.toMatch(/^✗/m);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^✓ limits\/line-over-limit  /m);
    expect(stdout).toMatch(/^✓ bodies\/status-204  /m);
    expect(lastLine(stdout)).toMatch(/^\d+ passed, 0 failed$/);
    const report = JSON.parse(readFileSync(json, 'utf8')) as { workerClass: string; summary: { passed: number; failed: number }; results: { outcome: string }[] };
    expect(report.workerClass).toBe('async');
    expect(report.summary.failed).toBe(0);
    expect(report.results.length).toBe(report.summary.passed);
  });

  it('counts a start-up refusal that names the setting and the class as refused, not failed', async () => {
    // The refusing fixture rejects certfile at start-up, as a class that cannot do TLS should.
    const { code, stdout } = await runKit(['-k', './test/fixtures/no-tls-worker.js:NoTlsWorker', '--only', 'tls']);
    expect(stdout).toMatch(/^– tls\/https-served  .*refused at start-up: .*certfile.*NoTlsWorker/m);
    expect(lastLine(stdout)).toMatch(/^0 passed, 0 failed, 3 refused at start-up$/);
    expect(code).toBe(0);
  });

  it('exits 2 on a usage error', async () => {
    const { code, stderr } = await runKit(['--only', 'nope']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/-k\/--worker-class is required/);
  });
});
