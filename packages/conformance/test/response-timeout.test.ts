// --response-timeout: how long a raw exchange waits for an answer before it counts "no response".
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESPONSE_TIMEOUT_MS, parseOptions, UsageError } from '../src/options.js';
import { runKit } from './run-kit.js';

describe('--response-timeout', () => {
  it('defaults to 3000 ms and takes a positive integer', () => {
    expect(DEFAULT_RESPONSE_TIMEOUT_MS).toBe(3_000);
    expect(parseOptions(['-k', 'async']).responseTimeoutMs).toBe(3_000);
    expect(parseOptions(['-k', 'async', '--response-timeout', '750']).responseTimeoutMs).toBe(750);
    expect(() => parseOptions(['-k', 'async', '--response-timeout', '0'])).toThrow(UsageError);
    expect(() => parseOptions(['-k', 'async', '--response-timeout=2s'])).toThrow(/--response-timeout must be a non-negative integer/);
  });

  it('is the wait the cases use: a class that never answers fails each exchange after that many ms', async () => {
    const { code, stdout } = await runKit(['-k', './test/fixtures/mute-worker.js:MuteWorker', '--only', 'bodies', '--response-timeout', '700']);
    expect(code).toBe(1);
    for (const id of ['head', 'status-204', 'status-304']) {
      expect(stdout).toMatch(new RegExp(`^✗ bodies/${id}  .*got no response within 700 ms$`, 'm'));
    }
    expect(stdout).toMatch(/^✓ bodies\/worker-lives-on  /m);
  });
});
