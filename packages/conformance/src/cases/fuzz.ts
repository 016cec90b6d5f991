/**
 * A bounded fuzz run (`--fuzz-cases`, default 2,000; `--seed`): valid generated requests must be
 * echoed exactly, malformed ones never answered 2xx, blind mutations answered or closed; afterwards
 * no worker may have died (the group's worker-lives-on check).
 */
import { compareEcho } from '../echo-check.js';
import { preview } from '../http-response.js';
import { generate, type FuzzCase } from '../fuzz-grammar.js';
import { check, type KitCase, type KitGroup } from '../kit-case.js';
import { RawConnection } from '../raw-connection.js';

const CONCURRENCY = 12;
const ANSWER_TIMEOUT_MS = 4_000;

interface Finding {
  fuzz: FuzzCase;
  problem: string;
}

interface FuzzRun {
  ran: number;
  byKind: Record<string, number>;
  validWrong: Finding[];
  malformed2xx: Finding[];
  hangs: Finding[];
}

async function runOne(port: number, fuzz: FuzzCase, run: FuzzRun): Promise<void> {
  let connection: RawConnection;
  try {
    connection = await RawConnection.open(port);
  } catch (err) {
    run.hangs.push({ fuzz, problem: `connect failed: ${(err as { code?: string }).code ?? String(err)}` });
    return;
  }
  try {
    connection.write(fuzz.bytes);
    connection.end(); // the server sees EOF: an incomplete request cannot make it wait
    const read = await connection.readResponse(ANSWER_TIMEOUT_MS, false);
    const closed = read.response ? true : connection.closed;
    if (fuzz.kind === 'valid') {
      const diff = read.response ? compareEcho(read.response, fuzz.echo!) : `${read.problem}`;
      if (diff !== null) run.validWrong.push({ fuzz, problem: diff });
    } else if (read.response && read.response.status >= 200 && read.response.status < 300) {
      if (fuzz.kind === 'malformed') run.malformed2xx.push({ fuzz, problem: `${read.response.statusLine} ${preview(read.response.body, 60)}` });
    } else if (!closed) {
      run.hangs.push({ fuzz, problem: `no answer and no close within ${ANSWER_TIMEOUT_MS} ms` });
    }
  } finally {
    connection.destroy();
  }
}

function examples(findings: Finding[]): string {
  const byLabel = new Map<string, Finding>();
  for (const f of findings) if (!byLabel.has(f.fuzz.label)) byLabel.set(f.fuzz.label, f);
  return [...byLabel.values()].slice(0, 4).map((f) => `[${f.fuzz.label}] ${preview(f.fuzz.bytes, 100)} → ${f.problem}`).join(' ; ');
}

export const fuzzGroup: KitGroup = {
  id: 'fuzz',
  title: 'generated requests: valid ones echoed, malformed ones never 2xx, no worker crash',
  // The default settings: every request ends with EOF, so an incomplete one cannot make the server wait,
  // and every class (uws too, whose headers_timeout is fixed) runs the fuzz.
  server: (env) => ({ app: env.echoApp }),
  cases: (env): KitCase[] => {
    const run: FuzzRun = { ran: 0, byKind: {}, validWrong: [], malformed2xx: [], hangs: [] };
    const count = env.options.fuzzCases;
    return [
      {
        id: 'generated',
        title: `${count} generated requests sent (seed ${env.options.seed}, ${CONCURRENCY} at a time)`,
        timeoutMs: 60_000 + count * 50,
        async run(ctx) {
          const cases = generate(env.options.seed, count);
          let next = 0;
          const lane = async (): Promise<void> => {
            while (next < cases.length) {
              const fuzz = cases[next++]!;
              await runOne(ctx.server.port, fuzz, run);
              run.ran++;
              run.byKind[fuzz.kind] = (run.byKind[fuzz.kind] ?? 0) + 1;
            }
          };
          await Promise.all(Array.from({ length: CONCURRENCY }, lane));
          check(run.ran === count, `${count} cases run`, `${run.ran}`);
          ctx.note(`${run.ran} cases: ${Object.entries(run.byKind).map(([k, n]) => `${n} ${k}`).join(', ')}`);
        },
      },
      {
        id: 'valid-echoed',
        title: 'every valid generated request echoed exactly',
        async run() {
          check(run.validWrong.length === 0, `${run.byKind.valid ?? 0} exact echoes`, `${run.validWrong.length} wrong: ${examples(run.validWrong)}`);
        },
      },
      {
        id: 'malformed-never-2xx',
        title: 'no malformed generated request answered 2xx',
        async run() {
          check(run.malformed2xx.length === 0, 'no 2xx', `${run.malformed2xx.length} answered 2xx: ${examples(run.malformed2xx)}`);
        },
      },
      {
        id: 'no-hang',
        title: `every malformed or mutated request answered or closed within ${ANSWER_TIMEOUT_MS / 1000} s of EOF`,
        async run() {
          check(run.hangs.length === 0, 'an answer or a close for each', `${run.hangs.length} hung: ${examples(run.hangs)}`);
        },
      },
    ];
  },
  workerLivesOn: true,
};
