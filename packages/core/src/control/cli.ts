import { ExitCode } from '../errors.js';
import { ControlClient, ControlConnectionError } from './client.js';
import { COMMANDS } from './commands.js';
import { CommandHistory } from './history.js';
import { runInteractive } from './interactive.js';
import { printResponse } from './output.js';
import { runTop } from './top.js';
import { defaultControlSocketPath } from './socket-path.js';


interface CtlArgs {
  socket: string;
  json: boolean;
  help: boolean;
  intervalMs: number;
  iterations: number | null;
  command: string[];
}

class UsageError extends Error {}

/** `pre ctl [--socket PATH] [--json] [COMMAND...]`; no command: interactive. Returns the exit code. */
export async function runCtl(argv: readonly string[]): Promise<number> {
  let args: CtlArgs;
  try {
    args = parseCtlArgs(argv, process.env);
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\nSee: pre ctl --help\n`);
    return ExitCode.USAGE;
  }
  if (args.help) {
    process.stdout.write(`${formatCtlHelp()}\n`);
    return ExitCode.OK;
  }
  let client: ControlClient | null = null;
  try {
    client = await ControlClient.connect(args.socket);
    const [first] = args.command;
    if (first === undefined) return await runInteractive(client, { socketPath: args.socket, json: args.json, history: new CommandHistory() });
    if (first === 'top') return await runTop(client, { intervalMs: args.intervalMs, iterations: args.iterations, json: args.json });
    return printResponse(args.command, await client.request(args.command), args.json);
  } catch (err) {
    const detail = err instanceof ControlConnectionError ? err.message : err instanceof Error ? err.stack ?? err.message : String(err);
    process.stderr.write(`Error: ${detail}\n`);
    return ExitCode.ERROR;
  } finally {
    client?.close();
  }
}

export function parseCtlArgs(argv: readonly string[], env: NodeJS.ProcessEnv): CtlArgs {
  const args: CtlArgs = { socket: env.PRE_CONTROL_SOCKET || defaultControlSocketPath(env), json: false, help: false, intervalMs: 1000, iterations: null, command: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const value = (): string => {
      const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${name} needs a value.`);
      return v;
    };
    if (name === '-s' || name === '--socket') args.socket = value();
    else if (name === '--json') args.json = true;
    else if (name === '-h' || name === '--help') args.help = true;
    else if (name === '--interval') args.intervalMs = positiveNumber(name, value(), 0.1) * 1000;
    else if (name === '--iterations' || name === '-n') args.iterations = positiveNumber(name, value(), 1, true);
    else if (arg.startsWith('-') && !/^-\d/.test(arg)) throw new UsageError(`Unknown option ${arg}.`);
    else args.command.push(arg);
  }
  return args;
}

function positiveNumber(name: string, text: string, min: number, integer = false): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${name} must be ${integer ? 'a whole number' : 'a number'} ≥ ${min} (got '${text}').`);
  }
  return n;
}

export function formatCtlHelp(): string {
  return [
    'Usage: pre ctl [OPTIONS] [COMMAND...]',
    '',
    'Talks to a running pre through its control socket (on by default; see --control-socket).',
    'With no COMMAND: an interactive prompt with history (~/.pre_ctl_history).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(26)} ${c.summary}`),
    `  ${'top'.padEnd(26)} live view of the workers, redrawn every --interval; q or Ctrl-C quits`,
    '',
    'Options:',
    `  ${'-s, --socket PATH'.padEnd(26)} the control socket (default: $PRE_CONTROL_SOCKET, else $XDG_RUNTIME_DIR/pre.ctl, else ~/.pre/pre.ctl)`,
    `  ${'--json'.padEnd(26)} print results as JSON (top: one JSON line per frame)`,
    `  ${'--interval SECONDS'.padEnd(26)} top: time between frames (default 1)`,
    `  ${'-n, --iterations N'.padEnd(26)} top: exit after N frames`,
    `  ${'-h, --help'.padEnd(26)} show this help`,
    '',
    'Exit status: 0 on success, 1 when pre answers with an error or cannot be reached, 2 on bad usage.',
  ].join('\n');
}
