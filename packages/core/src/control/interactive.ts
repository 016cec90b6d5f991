import { createInterface } from 'node:readline';
import type { ControlClient } from './client.js';
import type { StatsResult } from './commands.js';
import { CommandHistory } from './history.js';
import { splitWords } from './protocol.js';
import { printResponse } from './output.js';

export interface InteractiveOptions {
  readonly socketPath: string;
  readonly json: boolean;
  readonly history: CommandHistory;
}

/**
 * `pre ctl` with no command: a prompt with line editing and history. Reads commands from a pipe too
 * (without the prompt). Exit code 1 only when the connection is lost; error replies are printed.
 */
export async function runInteractive(client: ControlClient, options: InteractiveOptions): Promise<number> {
  const terminal = process.stdin.isTTY === true && process.stdout.isTTY === true;
  const rl = createInterface({
    input: process.stdin, output: process.stdout, terminal, prompt: 'pre> ',
    history: options.history.load(), historySize: 1000, removeHistoryDuplicates: true,
  });
  // Take the iterator now: readline emits piped lines at once, and lines emitted before it exists are lost.
  const lines = rl[Symbol.asyncIterator]();
  const hello = await client.request(['show', 'stats']);
  const master = hello.ok ? ` (master ${(hello.result as StatsResult).pid})` : '';
  process.stdout.write(`Connected to pre at ${options.socketPath}${master}. Type 'help' for the commands, 'quit' to leave.\n`);
  let exitCode = 0;
  const prompt = (): void => (terminal ? rl.prompt() : undefined);
  prompt();
  for await (const line of { [Symbol.asyncIterator]: () => lines }) {
    const words = splitWords(line);
    if (words.length === 0) {
      prompt();
      continue;
    }
    options.history.add(line.trim());
    if (words[0] === 'quit' || words[0] === 'exit') break;
    if (words[0] === 'top') {
      process.stdout.write("Run 'pre ctl top' for the live view.\n");
    } else {
      try {
        printResponse(words, await client.request(words), options.json);
      } catch (err) {
        process.stderr.write(`Error: ${(err as Error).message}\n`);
        exitCode = 1;
        break; // The connection is gone (pre stopped): nothing more can be done here.
      }
    }
    prompt();
  }
  rl.close();
  return exitCode;
}
