import type { ArbiterControl, ArbiterStats, WorkerStatus } from '../arbiter/control-api.js';
import type { ListenerInfo } from '../listeners/address.js';
import { listenBacklogs, type ListenBacklog } from '../metrics/listen-backlog.js';
import { CpuSampler, type ProcessUsage } from './proc-stats.js';
import { ControlError } from './protocol.js';

/** What `show workers` says a worker is doing. */
export type WorkerState = 'booting' | 'booted' | 'retiring';
/** `show workers`: a worker's status, its state, and its memory and CPU use. */
export type WorkerRow = WorkerStatus & { readonly state: WorkerState } & ProcessUsage;

export function workerState(worker: WorkerStatus): WorkerState {
  return worker.retiring ? 'retiring' : worker.booted ? 'booted' : 'booting';
}
/** `show stats`: the arbiter's counters with its own memory and CPU use, and the listeners' accept queues (Linux). */
export type StatsResult = ArbiterStats & ProcessUsage & { readonly listenBacklog?: ListenBacklog[] };

export interface CommandContext {
  readonly control: ArbiterControl;
  readonly sampler: CpuSampler;
}

interface CommandSpec {
  /** The words that name the command, e.g. ['worker', 'add']. */
  readonly words: readonly string[];
  readonly usage: string;
  readonly summary: string;
  readonly run: (args: readonly string[], ctx: CommandContext) => unknown;
}

/** A typo such as `worker add 1000` should not fork a thousand processes. */
const MAX_WORKER_DELTA = 100;
const KILL_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGQUIT', 'SIGINT', 'SIGKILL', 'SIGABRT'];

export const COMMANDS: readonly CommandSpec[] = [
  {
    words: ['show', 'workers'], usage: 'show workers', summary: 'pid, age, state, uptime, last heartbeat, requests, RSS and CPU% of each worker',
    run: (args, ctx) => (noArgs(args, 'show workers'), showWorkers(ctx)),
  },
  {
    words: ['show', 'stats'], usage: 'show stats', summary: 'the arbiter: pid, uptime, worker counts, requests, exits, reloads, RSS, CPU%',
    run: (args, { control, sampler }) => {
      noArgs(args, 'show stats');
      const stats = control.stats();
      const listenBacklog = listenBacklogs(control.listenerInfos()) ?? undefined;
      return { ...stats, ...sampler.usage(stats.pid, stats.startedAt), listenBacklog } satisfies StatsResult;
    },
  },
  {
    words: ['show', 'config'], usage: 'show config', summary: 'the effective settings',
    run: (args, { control }) => (noArgs(args, 'show config'), control.settingsSnapshot()),
  },
  {
    words: ['show', 'listeners'], usage: 'show listeners', summary: 'the sockets the workers accept on',
    run: (args, { control }): ListenerInfo[] => (noArgs(args, 'show listeners'), control.listenerInfos()),
  },
  {
    words: ['worker', 'add'], usage: 'worker add [N]', summary: 'start N more workers (default 1), like N × TTIN',
    run: async (args, { control }) => ({ numWorkers: await control.changeWorkers(workerCount(args, 'worker add')) }),
  },
  {
    words: ['worker', 'remove'], usage: 'worker remove [N]', summary: 'stop the N oldest workers gracefully (never below 1), like N × TTOU',
    run: async (args, { control }) => ({ numWorkers: await control.changeWorkers(-workerCount(args, 'worker remove')) }),
  },
  {
    words: ['worker', 'kill'], usage: 'worker kill PID [SIGNAL]', summary: 'send SIGNAL (default TERM) to one worker; the arbiter replaces it',
    run: (args, { control }) => {
      if (args.length < 1 || args.length > 2) throw badArgument('Usage: worker kill PID [SIGNAL]');
      const pid = Number(args[0]);
      if (!Number.isInteger(pid) || pid <= 0) throw badArgument(`'${args[0]}' is not a pid.`);
      const signal = killSignal(args[1] ?? 'TERM');
      if (!control.killWorker(pid, signal)) {
        throw new ControlError('PRE_ERR_CTL_NO_SUCH_WORKER', `No worker has pid ${pid}; see 'show workers'.`);
      }
      return { pid, signal };
    },
  },
  {
    words: ['reload'], usage: 'reload', summary: 'like HUP: re-read the config, start new workers, retire the old ones',
    run: (args, { control }) => (noArgs(args, 'reload'), control.requestReload(), { reload: 'queued' }),
  },
  {
    words: ['reopen'], usage: 'reopen', summary: 'like USR1: reopen the log files',
    run: (args, { control }) => (noArgs(args, 'reopen'), control.requestReopen(), { reopen: 'queued' }),
  },
  {
    words: ['shutdown'], usage: 'shutdown [graceful|quick]', summary: 'stop pre: graceful (TERM, default) or quick (QUIT)',
    run: (args, { control }) => {
      const mode = args[0] ?? 'graceful';
      if (args.length > 1 || (mode !== 'graceful' && mode !== 'quick')) throw badArgument('Usage: shutdown [graceful|quick]');
      control.requestShutdown(mode === 'graceful');
      return { shutdown: mode };
    },
  },
  {
    words: ['help'], usage: 'help', summary: 'list the commands',
    run: () => COMMANDS.map(({ usage, summary }) => ({ usage, summary })),
  },
];

/** Finds the command named by the first words of `command` and runs it with the rest. */
export async function runCommand(command: readonly string[], ctx: CommandContext): Promise<unknown> {
  const words = command.map((w, i) => (i < 2 ? w.toLowerCase() : w));
  const spec = COMMANDS.find((c) => c.words.every((w, i) => words[i] === w));
  if (!spec) {
    const what = words.length === 0 ? 'Empty command' : `Unknown command '${command.join(' ')}'`;
    throw new ControlError('PRE_ERR_CTL_UNKNOWN_COMMAND', `${what}. Commands: ${COMMANDS.map((c) => c.usage).join(', ')}.`);
  }
  return spec.run(command.slice(spec.words.length), ctx);
}

function showWorkers({ control, sampler }: CommandContext): WorkerRow[] {
  const workers = control.workerStatuses().sort((a, b) => a.age - b.age);
  sampler.prune(new Set([control.stats().pid, ...workers.map((w) => w.pid)]));
  return workers.map((w) => ({ ...w, state: workerState(w), ...sampler.usage(w.pid, w.startedAt) }));
}

function noArgs(args: readonly string[], usage: string): void {
  if (args.length > 0) throw badArgument(`'${usage}' takes no arguments (got '${args.join(' ')}').`);
}

function workerCount(args: readonly string[], usage: string): number {
  if (args.length > 1) throw badArgument(`Usage: ${usage} [N]`);
  const n = args.length === 0 ? 1 : Number(args[0]);
  if (!Number.isInteger(n) || n < 1 || n > MAX_WORKER_DELTA) {
    throw badArgument(`N must be a whole number from 1 to ${MAX_WORKER_DELTA} (got '${args[0]}').`);
  }
  return n;
}

function killSignal(text: string): NodeJS.Signals {
  const name = text.toUpperCase().replace(/^(SIG)?/, 'SIG') as NodeJS.Signals;
  if (!KILL_SIGNALS.includes(name)) {
    throw badArgument(`Signal must be one of ${KILL_SIGNALS.map((s) => s.slice(3)).join(', ')} (got '${text}').`);
  }
  return name;
}

function badArgument(message: string): ControlError {
  return new ControlError('PRE_ERR_CTL_BAD_ARGUMENT', message);
}
