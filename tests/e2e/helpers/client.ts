import { Agent, request } from 'undici';

export interface LoopResult {
  ok: number;
  failed: number;
  errors: string[];
  statuses: Map<number, number>;
  pids: Set<number>;
}

/**
 * `concurrency` keep-alive clients requesting `path` (which answers with the worker's pid) until
 * `stop` resolves; every failure is counted. Bounded by `maxMs` in any case.
 */
export async function clientLoop(baseUrl: string, stop: Promise<unknown>, { concurrency = 4, path = '/pid', maxMs = 60_000 } = {}): Promise<LoopResult> {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: concurrency });
  const result: LoopResult = { ok: 0, failed: 0, errors: [], statuses: new Map(), pids: new Set() };
  let stopped = false;
  void stop.finally(() => (stopped = true));
  const deadline = Date.now() + maxMs;
  const loop = async (): Promise<void> => {
    while (!stopped && Date.now() < deadline) {
      try {
        const res = await request(`${baseUrl}${path}`, { dispatcher: agent });
        const body = await res.body.text();
        result.statuses.set(res.statusCode, (result.statuses.get(res.statusCode) ?? 0) + 1);
        if (res.statusCode === 200) {
          result.ok++;
          result.pids.add(Number(body));
        } else {
          result.failed++;
          result.errors.push(`status ${res.statusCode}`);
        }
      } catch (err) {
        result.failed++;
        result.errors.push(`${(err as { code?: string }).code ?? ''} ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  await agent.close();
  return result;
}
