// Known gaps a class declares (--known-gaps FILE), end to end through the real pre with a fixture
// class that has exactly one gap (its 204 carries Content-Length: 0): a listed failure is a known
// gap with its reason; a listed pass is a failure; an id that names no case is a usage error.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeKnownGap, KnownGapsError, readKnownGaps } from '../src/known-gaps.js';
import type { CaseResult } from '../src/kit-case.js';
import { runKit } from './run-kit.js';

const GAP_WORKER = './test/fixtures/gap-worker.js:GapWorker';
const REASON = 'GapWorker adds Content-Length: 0 to every 204 (a deliberate gap for the self-tests)';
const lastLine = (text: string): string => text.trim().split('\n').pop()!;
const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'kit-gaps-'));

describe('--known-gaps', () => {
  it('reports a listed failing case as a known gap with its reason: not a failure, exit 0, reasons in the JSON', async () => {
    const json = path.join(tmp(), 'report.json');
    const { code, stdout } = await runKit(['-k', GAP_WORKER, '--only', 'bodies', '--known-gaps', 'test/fixtures/gap-worker.gaps.json', '--json', json]);
    expect(stdout).toContain(`! bodies/status-204  204 (the app writes a body): no body, no Content-Length, no Transfer-Encoding: known gap: ${REASON} (got: content-length: 0)`);
    expect(stdout).not.toMatch(/^✗/m);
    expect(stdout).toMatch(/^✓ bodies\/head  /m);
    expect(lastLine(stdout)).toBe('3 passed, 0 failed, 1 known gap');
    expect(code).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8')) as {
      summary: { passed: number; failed: number; knownGaps: number };
      knownGaps: { file: string; reasons: Record<string, string> };
      results: CaseResult[];
    };
    expect(report.summary).toMatchObject({ passed: 3, failed: 0, knownGaps: 1 });
    expect(report.knownGaps).toEqual({ file: path.join('test', 'fixtures', 'gap-worker.gaps.json'), reasons: { 'bodies/status-204': REASON } });
    expect(report.results.find((r) => r.id === 'status-204')).toMatchObject({ outcome: 'known-gap', knownGap: REASON, got: 'content-length: 0' });
  });

  it('fails a listed case that passes, telling to remove it from the file; the real gap stays a known gap', async () => {
    const { code, stdout } = await runKit(['-k', GAP_WORKER, '--only', 'bodies', '--known-gaps', 'test/fixtures/stale.gaps.json']);
    expect(stdout).toContain('✗ bodies/head  HEAD: the headers of a GET, no body: known gap now passes: remove it from test/fixtures/stale.gaps.json');
    expect(stdout).toMatch(/^! bodies\/status-204  .*known gap: /m);
    expect(lastLine(stdout)).toBe('2 passed, 1 failed, 1 known gap');
    expect(code).toBe(1);
  });

  it('without the file, the same gap is a plain failure', async () => {
    const { code, stdout } = await runKit(['-k', GAP_WORKER, '--only', 'bodies']);
    expect(stdout).toMatch(/^✗ bodies\/status-204  .*got content-length: 0$/m);
    expect(lastLine(stdout)).toBe('3 passed, 1 failed');
    expect(code).toBe(1);
  });

  it('exits 2 before any case runs when an id names no case, or the file is not { "group/id": "reason" }', async () => {
    const unknown = await runKit(['-k', GAP_WORKER, '--known-gaps', 'test/fixtures/unknown-id.gaps.json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('--known-gaps test/fixtures/unknown-id.gaps.json: no such case: bodies/status-205');
    expect(unknown.stdout).not.toMatch(/^[✓✗!–·] \S+\/\S+  /m);

    const dir = tmp();
    const noReason = path.join(dir, 'no-reason.json');
    writeFileSync(noReason, JSON.stringify({ 'bodies/status-204': '' }));
    const bad = await runKit(['-k', GAP_WORKER, '--known-gaps', noReason]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bodies\/status-204 needs a reason/);
    expect(bad.stdout).toBe('');

    const missing = await runKit(['-k', GAP_WORKER, '--known-gaps', path.join(dir, 'absent.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/absent\.json: cannot read it \(ENOENT\)/);
  });
});

describe('known-gaps rules (unit)', () => {
  const gaps = { file: 'gaps.json', reasons: new Map([['g/a', 'why a']]) };
  const result = (outcome: CaseResult['outcome']): CaseResult => ({ id: 'a', group: 'g', title: 't', outcome, detail: 'expected x, got y', got: 'y', ms: 1 });

  it('turns a listed failure into a known gap and a listed pass into a failure; leaves unlisted and refused cases as they are', () => {
    expect(judgeKnownGap(result('fail'), gaps)).toMatchObject({ outcome: 'known-gap', knownGap: 'why a' });
    expect(judgeKnownGap(result('pass'), gaps)).toMatchObject({ outcome: 'fail', detail: 'known gap now passes: remove it from gaps.json' });
    expect(judgeKnownGap(result('refused'), gaps)).toMatchObject({ outcome: 'refused', knownGap: 'why a' });
    expect(judgeKnownGap({ ...result('fail'), id: 'b' }, gaps).outcome).toBe('fail');
    expect(judgeKnownGap(result('fail'), null).outcome).toBe('fail');
  });

  it('refuses a file that is not an object of "group/id" → reason', () => {
    const dir = tmp();
    const write = (name: string, text: string): string => {
      const file = path.join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    expect(() => readKnownGaps(write('list.json', '["g/a"]'))).toThrow(KnownGapsError);
    expect(() => readKnownGaps(write('id.json', '{"no-slash": "r"}'))).toThrow(/"no-slash" is not a case id/);
    expect(() => readKnownGaps(write('reason.json', '{"g/a": 1}'))).toThrow(/g\/a needs a reason/);
    expect(() => readKnownGaps(write('text.json', 'not json'))).toThrow(/not JSON/);
    expect([...readKnownGaps(write('ok.json', '{"g/a": " why "}')).reasons]).toEqual([['g/a', 'why']]);
  });
});
