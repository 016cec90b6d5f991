/** `pre-conformance`: parse the options, probe the class, run the groups, print and write the results. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { caseIds, GROUPS } from './groups.js';
import { checkKnownGapIds, KnownGapsError, readKnownGaps, type KnownGaps } from './known-gaps.js';
import type { CaseResult, KitEnv } from './kit-case.js';
import { parseOptions, USAGE, UsageError } from './options.js';
import { BUNDLED, echoAppFor, kitAppFor, probeClass } from './probe.js';
import { caseLine, summarize, summaryLine, writeJson } from './report.js';
import { runGroup } from './runner.js';

export async function main(argv: readonly string[]): Promise<number> {
  let options;
  try {
    options = parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`pre-conformance: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.list) {
    for (const group of GROUPS) process.stdout.write(`${group.id}  ${group.title}\n`);
    return 0;
  }
  const unknown = (options.only ?? []).filter((id) => !GROUPS.some((g) => g.id === id));
  if (unknown.length > 0) {
    process.stderr.write(`pre-conformance: unknown group(s) ${unknown.join(', ')}; groups: ${GROUPS.map((g) => g.id).join(', ')}\n`);
    return 2;
  }

  let knownGaps: KnownGaps | null = null;
  try {
    if (options.knownGaps) knownGaps = readKnownGaps(options.knownGaps, shownPath(options.knownGaps, options.cwd));
  } catch (err) {
    if (!(err instanceof KnownGapsError)) throw err;
    process.stderr.write(`pre-conformance: ${err.message}\n`);
    return 2;
  }

  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  out(`pre-conformance: worker class ${options.workerClass}, node ${process.version}, fuzz seed ${options.seed}`);
  const probe = await probeClass(options);
  if (probe.startError) out(`! the class did not start with either app shape: ${probe.startError}`);
  else out(`· the class serves ${probe.shape === 'node' ? 'node request listeners' : 'fetch handlers only: the fetch echo app is used'}`);
  if (probe.noHttp1) out(`! ${probe.noHttp1}: every HTTP/1.1 case fails`);

  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'pre-conformance-'));
  const env: KitEnv = {
    options,
    shape: probe.shape,
    echoApp: echoAppFor(options, probe.shape),
    kitApp: kitAppFor(probe.shape),
    fixtures: BUNDLED.fixtures,
    tmpDir,
    noHttp1: probe.startError ? `no start-up: ${probe.startError}` : probe.noHttp1,
    knownGaps,
  };
  if (knownGaps) {
    // A stale or misspelt id is a usage error, caught before any case runs.
    try {
      checkKnownGapIds(knownGaps, caseIds(env));
    } catch (err) {
      rmSync(tmpDir, { recursive: true, force: true });
      if (!(err instanceof KnownGapsError)) throw err;
      process.stderr.write(`pre-conformance: ${err.message}\n`);
      return 2;
    }
    out(`· ${knownGaps.reasons.size} known gap(s) declared in ${knownGaps.file}`);
  }
  const results: CaseResult[] = [];
  const facts: Record<string, unknown> = {
    shape: probe.shape, noHttp1: env.noHttp1,
    knownGaps: knownGaps ? { file: knownGaps.file, reasons: Object.fromEntries(knownGaps.reasons) } : null,
  };
  try {
    for (const group of GROUPS.filter((g) => !options.only || options.only.includes(g.id))) {
      const groupResults = await runGroup(env, group, (r) => out(caseLine(r, options.verbose)));
      results.push(...groupResults);
      if (group.id === 'fuzz') facts.fuzzCasesRun = groupResults.find((r) => r.id === 'generated')?.detail ?? null;
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  const summary = summarize(results);
  if (options.json) writeJson(options.json, options, results, facts);
  out(summaryLine(summary));
  return summary.failed > 0 ? 1 : 0;
}

/** A path as the user most likely typed it: relative to the working directory when inside it. */
function shownPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}
