/** Output: one line per case as it finishes, a summary line, and the JSON file. */
import { writeFileSync } from 'node:fs';
import type { CaseResult } from './kit-case.js';
import type { KitOptions } from './options.js';

const MARK = { pass: '✓', fail: '✗', 'known-gap': '!', refused: '–', 'not-applicable': '·' } as const;

export function caseLine(result: CaseResult, verbose: boolean): string {
  const name = `${result.group}/${result.id}`;
  switch (result.outcome) {
    case 'pass':
      return `${MARK.pass} ${name}  ${result.title}${verbose && result.detail ? `  (${result.detail})` : ''}`;
    case 'fail':
      return `${MARK.fail} ${name}  ${result.title}: ${result.detail ?? ''}`;
    case 'known-gap':
      return `${MARK['known-gap']} ${name}  ${result.title}: known gap: ${result.knownGap ?? ''} (got: ${result.got ?? result.detail ?? ''})`;
    case 'refused':
      return `${MARK.refused} ${name}  ${result.title}: refused at start-up: ${result.detail ?? ''}`;
    case 'not-applicable':
      return `${MARK['not-applicable']} ${name}  ${result.title}: not applicable: ${result.detail ?? ''}`;
  }
}

export interface Summary {
  passed: number;
  failed: number;
  knownGaps: number;
  refused: number;
  notApplicable: number;
}

export function summarize(results: readonly CaseResult[]): Summary {
  const count = (o: CaseResult['outcome']): number => results.filter((r) => r.outcome === o).length;
  return { passed: count('pass'), failed: count('fail'), knownGaps: count('known-gap'), refused: count('refused'), notApplicable: count('not-applicable') };
}

/** `N passed, M failed` first (CI reads that), then the other counts when there are any. */
export function summaryLine(summary: Summary): string {
  const extra = [
    summary.knownGaps > 0 ? `${summary.knownGaps} known gap${summary.knownGaps === 1 ? '' : 's'}` : '',
    summary.refused > 0 ? `${summary.refused} refused at start-up` : '',
    summary.notApplicable > 0 ? `${summary.notApplicable} not applicable` : '',
  ].filter(Boolean);
  return `${summary.passed} passed, ${summary.failed} failed${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`;
}

export function writeJson(file: string, options: KitOptions, results: readonly CaseResult[], facts: Record<string, unknown>): void {
  const report = {
    workerClass: options.workerClass,
    node: process.version,
    seed: options.seed,
    preArgs: options.preArgs,
    responseTimeoutMs: options.responseTimeoutMs,
    ...facts,
    summary: summarize(results),
    results,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
}
