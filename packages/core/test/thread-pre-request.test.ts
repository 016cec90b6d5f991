import { describe, expect, it } from 'vitest';
import type { RequestReporter } from '../src/http/request-reporter.js';
import type { RequestInfo } from '../src/hooks.js';
import { PreRequestAsker, answerPreRequest, type PreRequestDoneMessage, type PreRequestMessage } from '../src/worker/thread-pre-request.js';

const request: RequestInfo = { method: 'GET', url: '/x', headers: {}, remoteAddress: '127.0.0.1' };

/** The main thread's reporter: pre_request resolves, or fails for '/fail'. */
function reporter(seen: RequestInfo[]): RequestReporter {
  return {
    log: console as never, wantsAccessEntries: false, hasRequestHooks: true,
    requestStarted: async (info) => {
      seen.push(info);
      if (info.url === '/fail') throw new Error('hook failed');
    },
    requestFinished: () => {},
  };
}

describe('pre_request across threads', () => {
  it('asks the main thread, which runs the hook and answers; each ask settles once, by its id', async () => {
    const seen: RequestInfo[] = [];
    const sent: PreRequestMessage[] = [];
    const asker = new PreRequestAsker((m) => sent.push(m));
    const first = asker.ask(request);
    const second = asker.ask({ ...request, url: '/fail' });
    expect(sent.map((m) => [m.type, m.id, m.request.url])).toEqual([['pre_request', 1, '/x'], ['pre_request', 2, '/fail']]);
    const answers: PreRequestDoneMessage[] = [];
    for (const message of sent.reverse()) answerPreRequest(reporter(seen), message, (a) => answers.push(a));
    await expect.poll(() => answers.length).toBe(2);
    for (const answer of answers) asker.answered(answer);
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toThrow('hook failed');
    expect(seen.map((r) => r.url)).toEqual(['/fail', '/x']);
    asker.answered({ type: 'pre_request_done', id: 1 }); // a late duplicate is ignored
  });
});
