/** The command line of `pre-conformance`. */
import path from 'node:path';
import { findPreBinary } from './pre-binary.js';

export interface KitOptions {
  workerClass: string;
  /** The app for the echo cases; null: the bundled echo app. */
  app: string | null;
  only: string[] | null;
  json: string | null;
  /** The class's known-gaps file (resolved), or null. */
  knownGaps: string | null;
  /** How long a raw exchange waits for an answer before it counts "no response". */
  responseTimeoutMs: number;
  fuzzCases: number;
  seed: number;
  preArgs: string[];
  verbose: boolean;
  cwd: string;
  preBinary: string;
}

export const USAGE = `Usage: pre-conformance -k CLASS [options] [-- extra pre arguments]

Starts the real pre with the worker class CLASS and runs HTTP/1.1 and lifecycle conformance cases
against it. CLASS is a built-in name (async, sync, threads, uws), a package, or ./file.js:ExportName.

Options:
  -k, --worker-class CLASS   the worker class under test (required)
  --app APP                  the app for the echo cases (default: the bundled echo app)
  --only GROUP[,GROUP]       run only these groups (see --list)
  --list                     list the groups and cases, and exit
  --json FILE                also write the results as JSON to FILE
  --known-gaps FILE          the class's known gaps: a JSON object { "group/id": "reason", ... };
                             a listed case that fails is a known gap, one that passes is a failure
  --response-timeout MS      how long a raw request waits for an answer before it counts as
                             "no response" (default 3000)
  --fuzz-cases N             generated requests in the fuzz group (default 2000)
  --seed N                   the fuzz generator's seed (default: random, printed)
  --verbose                  print the pre command lines and details of passing cases
  -h, --help                 this help
  -- ARGS                    extra arguments for every pre the kit starts (e.g. -- --threads 2)

Exit status: 0 when no case failed, 1 when one did, 2 on a usage error.`;

export class UsageError extends Error {}

/** Enough for any class that answers at all on a busy 2-core machine; short enough for a held request. */
export const DEFAULT_RESPONSE_TIMEOUT_MS = 3_000;

export function parseOptions(argv: readonly string[], cwd = process.cwd()): KitOptions & { list: boolean; help: boolean } {
  let workerClass: string | null = null;
  let app: string | null = null;
  let only: string[] | null = null;
  let json: string | null = null;
  let knownGaps: string | null = null;
  let responseTimeoutMs = DEFAULT_RESPONSE_TIMEOUT_MS;
  let fuzzCases = 2000;
  let seed = Math.floor(Math.random() * 0x7fffffff);
  let verbose = false;
  let list = false;
  let help = false;
  const preArgs: string[] = [];
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = (): string => inline ?? value(i++, flag);
    switch (flag) {
      case '-k': case '--worker-class': workerClass = take(); break;
      case '--app': app = take(); break;
      case '--only': only = take().split(',').map((s) => s.trim()).filter(Boolean); break;
      case '--json': json = path.resolve(cwd, take()); break;
      case '--known-gaps': knownGaps = path.resolve(cwd, take()); break;
      case '--response-timeout': responseTimeoutMs = positiveInt(take(), flag); break;
      case '--fuzz-cases': fuzzCases = nonNegativeInt(take(), flag); break;
      case '--seed': seed = nonNegativeInt(take(), flag); break;
      case '--verbose': verbose = true; break;
      case '--list': list = true; break;
      case '-h': case '--help': help = true; break;
      case '--': preArgs.push(...argv.slice(i + 1)); i = argv.length; break;
      default: throw new UsageError(`unknown option ${arg}`);
    }
  }
  if (!workerClass && !help && !list) throw new UsageError('-k/--worker-class is required');
  return {
    workerClass: workerClass ?? 'async', app, only, json, knownGaps, responseTimeoutMs, fuzzCases, seed, preArgs, verbose, cwd, list, help,
    preBinary: help || list ? '' : findPreBinary(cwd),
  };
}

function nonNegativeInt(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag} must be a non-negative integer, not ${JSON.stringify(text)}`);
  return n;
}

function positiveInt(text: string, flag: string): number {
  const n = nonNegativeInt(text, flag);
  if (n === 0) throw new UsageError(`${flag} must be a positive integer, not ${JSON.stringify(text)}`);
  return n;
}
