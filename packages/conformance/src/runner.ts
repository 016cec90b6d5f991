/** Runs the selected groups against the class: shared servers, bounded cases, the worker-lives-on check. */
import { CaseFailure, NotApplicable, type CaseContext, type CaseResult, type KitCase, type KitEnv, type KitGroup } from './kit-case.js';
import { PreServer, RefusedAtStartup, type ServerSpec } from './server.js';
import { normalRequestAnswered } from './probe.js';
import { judgeKnownGap } from './known-gaps.js';

const DEFAULT_CASE_TIMEOUT_MS = 20_000;

export interface GroupRun {
  results: CaseResult[];
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function runCase(env: KitEnv, group: KitGroup, kitCase: KitCase, shared: PreServer | null): Promise<CaseResult> {
  const started = Date.now();
  const own: PreServer[] = [];
  const notes: string[] = [];
  const ctx: CaseContext = {
    env,
    get server(): PreServer {
      if (!shared) throw new Error(`group ${group.id} has no shared server`);
      return shared;
    },
    async startServer(spec: ServerSpec): Promise<PreServer> {
      const server = await PreServer.start(env.options, spec);
      own.push(server);
      return server;
    },
    note: (text) => notes.push(text),
  };
  const base = { id: kitCase.id, group: group.id, title: kitCase.title };
  const limit = kitCase.timeoutMs ?? DEFAULT_CASE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  try {
    if (env.noHttp1) throw new CaseFailure('an HTTP/1.1 server', env.noHttp1);
    await Promise.race([
      kitCase.run(ctx),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new CaseFailure(`the case to finish within ${limit / 1000} s`, 'it did not')), limit))),
    ]);
    return { ...base, outcome: 'pass', ...(notes.length > 0 ? { detail: notes.join('; ') } : {}), ms: Date.now() - started };
  } catch (err) {
    const outcome = err instanceof RefusedAtStartup ? 'refused' : err instanceof NotApplicable ? 'not-applicable' : 'fail';
    const got = err instanceof CaseFailure ? { got: err.got } : {};
    return { ...base, outcome, detail: errorText(err), ...got, ms: Date.now() - started };
  } finally {
    clearTimeout(timer);
    await Promise.all(own.map((s) => s.stop()));
  }
}

/** Runs `items` through `worker` with at most `limit` at once, keeping their order in the output. */
async function mapLimited<T, R>(items: readonly T[], limit: number, worker: (item: T) => Promise<R>, onResult: (r: R, i: number) => void): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const done: boolean[] = new Array(items.length).fill(false);
  let next = 0;
  let printed = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await worker(items[i]!);
      done[i] = true;
      while (printed < items.length && done[printed]) onResult(results[printed]!, printed++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}

export async function runGroup(env: KitEnv, group: KitGroup, print: (r: CaseResult) => void): Promise<CaseResult[]> {
  const cases = group.cases(env);
  // Every result is judged against the class's known gaps before it is printed or counted.
  const judge = (r: CaseResult): CaseResult => judgeKnownGap(r, env.knownGaps);
  let shared: PreServer | null = null;
  if (group.server && !env.noHttp1) {
    const spec = group.server(env);
    try {
      shared = await PreServer.start(env.options, spec);
    } catch (err) {
      const outcome = err instanceof RefusedAtStartup ? 'refused' : 'fail';
      const results = cases.map((c): CaseResult => judge({ id: c.id, group: group.id, title: c.title, outcome, detail: errorText(err), ms: 0 }));
      results.forEach(print);
      return results;
    }
  }
  try {
    const startedBefore = shared ? shared.startedPids().length : 0;
    const results = await mapLimited(cases, group.concurrency ?? 1, async (c) => judge(await runCase(env, group, c, shared)), print);
    if (shared && group.workerLivesOn) {
      const lives = judge(await workerLivesOn(group, shared, startedBefore));
      print(lives);
      results.push(lives);
    }
    return results;
  } finally {
    await shared?.stop();
  }
}

/** No worker died during the group, and a normal request is still answered. */
async function workerLivesOn(group: KitGroup, server: PreServer, startedBefore: number): Promise<CaseResult> {
  const started = Date.now();
  const base = { id: 'worker-lives-on', group: group.id, title: 'no worker died or was replaced, and a normal request is still served' };
  const crashes = server.crashLines();
  const replaced = server.startedPids().length - startedBefore;
  const answered = await normalRequestAnswered(server.port, group.normalFrom);
  const problems = [
    crashes.length > 0 ? `log: ${crashes.slice(0, 3).join(' | ')}` : '',
    replaced > 0 ? `${replaced} worker(s) started during the group` : '',
    answered === true ? '' : `normal request: ${answered}`,
  ].filter(Boolean);
  return problems.length === 0
    ? { ...base, outcome: 'pass', ms: Date.now() - started }
    : { ...base, outcome: 'fail', detail: `expected live workers, got ${problems.join('; ')}`, ms: Date.now() - started };
}
