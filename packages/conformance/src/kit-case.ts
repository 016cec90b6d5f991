/** What a case is, what it reports, and what it can use. */
import type { KnownGaps } from './known-gaps.js';
import type { KitOptions } from './options.js';
import type { PreServer, ServerSpec } from './server.js';

/** 'known-gap': a failure the class declares in its known-gaps file, with a reason. */
export type Outcome = 'pass' | 'fail' | 'known-gap' | 'refused' | 'not-applicable';

export interface CaseResult {
  id: string;
  group: string;
  title: string;
  outcome: Outcome;
  detail?: string;
  /** For a failed expectation: what the server did (the detail says what was expected too). */
  got?: string;
  /** The reason from the known-gaps file, when the case is listed there. */
  knownGap?: string;
  ms: number;
}

/** A failed expectation: what the case wanted, what it got. */
export class CaseFailure extends Error {
  constructor(readonly expected: string, readonly got: string) {
    super(`expected ${expected}, got ${got}`);
  }
}

/** The case cannot apply to this class; the reason is reported and counted. */
export class NotApplicable extends Error {}

export function check(condition: unknown, expected: string, got: string | (() => string)): asserts condition {
  if (!condition) throw new CaseFailure(expected, typeof got === 'function' ? got() : got);
}

/** What the kit learned about the class before the cases ran. */
export interface KitEnv {
  options: KitOptions;
  /** The app shape the class serves ('fetch' for fetch-only classes). */
  shape: 'node' | 'fetch';
  /** The app for echo cases, and the kit's own app (status codes, slow, busy, peer). */
  echoApp: string;
  kitApp: string;
  /** The kit's fixtures directory (hooks config). */
  fixtures: string;
  /** A temporary directory for this run (certificates, logs). */
  tmpDir: string;
  /** Why the class is not tested over HTTP/1.1, when it answered no HTTP/1.1 request. */
  noHttp1: string | null;
  /** The gaps the class declares (--known-gaps), or null. */
  knownGaps: KnownGaps | null;
}

export interface CaseContext {
  env: KitEnv;
  /** The group's shared server (throws for groups without one). */
  readonly server: PreServer;
  /** Starts a server for this case only; it is stopped when the case ends. */
  startServer(spec: ServerSpec): Promise<PreServer>;
  note(text: string): void;
}

export interface KitCase {
  id: string;
  title: string;
  timeoutMs?: number;
  run(ctx: CaseContext): Promise<void>;
}

export interface KitGroup {
  id: string;
  title: string;
  /** A server shared by every case of the group (null: each case starts what it needs). */
  server: ((env: KitEnv) => ServerSpec) | null;
  cases: (env: KitEnv) => KitCase[];
  /** How many cases run at once (default 1). */
  concurrency?: number;
  /** After the cases: check that no worker died and a normal request is still served. */
  workerLivesOn?: boolean;
  /** The local address of that normal request (a peer the group's settings serve plainly). */
  normalFrom?: string;
}
