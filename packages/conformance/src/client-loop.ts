/**
 * A bounded client loop: `clients` keep-alive undici clients, each sending GETs one after another
 * until `until()` says stop or `maxMs` passes. Counts answers and failures (with their codes).
 */
import { Client } from 'undici';

export interface LoopResult {
  ok: number;
  failed: number;
  /** Connection refused once the server stopped listening (graceful stop): not a lost request. */
  refused: number;
  errors: string[];
}

export interface LoopOptions {
  clients?: number;
  maxMs: number;
  until: () => boolean;
  path?: string;
  /**
   * Graceful stop: once this holds, a client stops after an answer that says `Connection: close`
   * (the server asked it to go), and a refused connection ends its loop instead of failing.
   */
  stopping?: () => boolean;
}

export async function clientLoop(port: number, options: LoopOptions): Promise<LoopResult> {
  const result: LoopResult = { ok: 0, failed: 0, refused: 0, errors: [] };
  const deadline = Date.now() + options.maxMs;
  const one = async (n: number): Promise<void> => {
    const client = new Client(`http://127.0.0.1:${port}`, {
      headersTimeout: 10_000, bodyTimeout: 10_000, keepAliveTimeout: 30_000,
      // undici's default threshold (2 s) would close after every answer to a short `Keep-Alive: timeout=N` (a test's --keep-alive 2).
      keepAliveTimeoutThreshold: 500,
    });
    try {
      for (let i = 0; Date.now() < deadline && !options.until(); i++) {
        try {
          const res = await client.request({ method: 'GET', path: `${options.path ?? '/loop'}/${n}/${i}` });
          await res.body.text();
          if (res.statusCode === 200) result.ok++;
          else {
            result.failed++;
            result.errors.push(`status ${res.statusCode}`);
          }
          if (options.stopping?.() && /close/i.test(String(res.headers.connection ?? ''))) return;
        } catch (err) {
          const code = (err as { code?: string }).code ?? String(err);
          if (options.stopping?.() && code === 'ECONNREFUSED') {
            result.refused++;
            return;
          }
          result.failed++;
          result.errors.push(code);
        }
      }
    } finally {
      await client.destroy();
    }
  };
  await Promise.all(Array.from({ length: options.clients ?? 4 }, (_, n) => one(n)));
  return result;
}

export function loopText(r: LoopResult): string {
  return `${r.ok} answered, ${r.failed} failed${r.errors.length ? ` (${[...new Set(r.errors)].slice(0, 4).join(', ')})` : ''}`;
}
