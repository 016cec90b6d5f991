/**
 * Known gaps a class declares in a JSON file (`{ "group/id": "reason", … }`): a listed case that
 * fails is reported as a known gap with its reason, not as a failure; a listed case that passes is a
 * failure, so the list cannot go stale. Ids that name no case are a usage error.
 */
import { readFileSync } from 'node:fs';
import type { CaseResult } from './kit-case.js';

export class KnownGapsError extends Error {}

export interface KnownGaps {
  /** The file as given on the command line (named in messages). */
  file: string;
  reasons: ReadonlyMap<string, string>;
}

const ID = /^[\w.-]+\/[\w.-]+$/;

/** Reads and checks the file's shape: an object of "group/id" → a non-empty reason. */
export function readKnownGaps(file: string, shownAs = file): KnownGaps {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KnownGapsError(`--known-gaps ${shownAs}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new KnownGapsError(`--known-gaps ${shownAs}: not JSON (${(err as Error).message})`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KnownGapsError(`--known-gaps ${shownAs}: expected a JSON object { "group/id": "reason", … }`);
  }
  const reasons = new Map<string, string>();
  for (const [id, reason] of Object.entries(parsed)) {
    if (!ID.test(id)) throw new KnownGapsError(`--known-gaps ${shownAs}: ${JSON.stringify(id)} is not a case id of the form group/id`);
    if (typeof reason !== 'string' || reason.trim() === '') {
      throw new KnownGapsError(`--known-gaps ${shownAs}: ${id} needs a reason (a non-empty string), not ${JSON.stringify(reason)}`);
    }
    reasons.set(id, reason.trim());
  }
  return { file: shownAs, reasons };
}

/** Every listed id must name a case the kit has (in any group, run or not). */
export function checkKnownGapIds(gaps: KnownGaps, caseIds: ReadonlySet<string>): void {
  const unknown = [...gaps.reasons.keys()].filter((id) => !caseIds.has(id));
  if (unknown.length > 0) {
    throw new KnownGapsError(`--known-gaps ${gaps.file}: no such case: ${unknown.join(', ')} (see --list)`);
  }
}

/** The result as the gaps file judges it: a listed failure becomes a known gap, a listed pass a failure. */
export function judgeKnownGap(result: CaseResult, gaps: KnownGaps | null): CaseResult {
  const reason = gaps?.reasons.get(`${result.group}/${result.id}`);
  if (reason === undefined) return result;
  if (result.outcome === 'fail') return { ...result, outcome: 'known-gap', knownGap: reason };
  if (result.outcome === 'pass') {
    return { ...result, outcome: 'fail', knownGap: reason, detail: `known gap now passes: remove it from ${gaps!.file}` };
  }
  // Refused at start-up or not applicable: neither a pass nor a failure; the reason is kept for the report.
  return { ...result, knownGap: reason };
}
