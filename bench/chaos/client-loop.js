// The chaos suite's client: `concurrency` undici loops until stopped, counting every outcome precisely.
import { Agent, request } from 'undici';

/**
 * Starts the loops; `stop()` ends them and resolves { sent, ok, failed, refused, errors }.
 * failed = an error or a 5xx (ECONNREFUSED excluded), refused = ECONNREFUSED. Bounded by `maxMs`.
 * `connectionClose`: a new connection per request (so no connection is pinned to one worker).
 */
export function startClientLoop(baseUrl, { concurrency = 4, path = '/pid', connectionClose = false, maxMs = 120_000 } = {}) {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: concurrency });
  const stats = { sent: 0, ok: 0, failed: 0, refused: 0, errors: new Map() };
  let stopped = false;
  const deadline = Date.now() + maxMs;
  const fail = (kind, key) => {
    stats[kind]++;
    stats.errors.set(key, (stats.errors.get(key) ?? 0) + 1);
  };
  const loop = async () => {
    while (!stopped && Date.now() < deadline) {
      stats.sent++;
      try {
        const res = await request(`${baseUrl}${path}`, { dispatcher: agent, reset: connectionClose, headersTimeout: 30_000, bodyTimeout: 30_000 });
        await res.body.text();
        if (res.statusCode >= 500) fail('failed', `status ${res.statusCode}`);
        else stats.ok++;
      } catch (err) {
        const code = err.code ?? err.cause?.code ?? err.name;
        if (code === 'ECONNREFUSED') fail('refused', code);
        else fail('failed', code);
      }
    }
  };
  const loops = Promise.all(Array.from({ length: concurrency }, loop));
  return {
    stats,
    async stop() {
      stopped = true;
      await loops;
      await agent.close();
      return { ...stats, errors: Object.fromEntries(stats.errors) };
    },
  };
}
