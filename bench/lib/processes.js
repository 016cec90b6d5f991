// Starting, pinning, measuring and stopping the processes the bench and the chaos suite run.
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';

/** Clock ticks per second of utime/stime in /proc/PID/stat (USER_HZ; 100 on Linux, asked rather than assumed). */
const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;
const PAGE_BYTES = 4096;
const HAS_TASKSET = spawnSync('taskset', ['-V']).status === 0;

/** Core lists for the server and the load generator, when pinning is possible (two cores or more, taskset). */
export const PINNABLE_CORES = os.availableParallelism() >= 2 && HAS_TASKSET
  ? { server: `1-${os.availableParallelism() - 1}`, load: '0' }
  : null;

/** The cores in use: null (unpinned, the default) until usePinning(true). */
export let CORES = null;

/** Pins every process started afterwards to its role's cores (bench --pin); false when the machine cannot. */
export function usePinning(on) {
  CORES = on ? PINNABLE_CORES : null;
  return CORES !== null;
}

/** `cmd args` pinned to `role`'s cores with taskset when pinning is on. */
export function pinned(role, cmd, args) {
  return CORES ? ['taskset', ['-c', CORES[role], cmd, ...args]] : [cmd, args];
}

const started = new Set();

/**
 * Spawns a command in its own process group (so stop() reaches its children too) and records its output.
 * Every process started here is stopped by stopAllProcesses(), also on SIGINT.
 */
export function startProcess(cmd, args, { env = {}, cwd, role = 'server' } = {}) {
  const [command, argv] = pinned(role, cmd, args);
  const child = spawn(command, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const proc = {
    child,
    output: '',
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    get pid() { return child.pid; },
    get running() { return child.exitCode === null && child.signalCode === null; },
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (!proc.running) return;
      killGroup(child.pid, signal);
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), graceMs);
      await proc.exited;
      clearTimeout(timer);
      killGroup(child.pid, 'SIGKILL'); // stragglers of the group (children that outlived the leader)
    },
  };
  child.stdout.setEncoding('utf8').on('data', (d) => (proc.output += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (proc.output += d));
  started.add(proc);
  void proc.exited.then(() => started.delete(proc));
  return proc;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch { /* already gone */ }
}

export async function stopAllProcesses() {
  await Promise.all([...started].map((p) => p.stop('SIGTERM', 3000)));
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => void stopAllProcesses().finally(() => process.exit(130)));
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** utime+stime (seconds) and RSS (bytes) of one process, or null once it is gone. */
export function procStat(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND, rss: Number(fields[21]) * PAGE_BYTES };
  } catch {
    return null;
  }
}

/** VmRSS of one process in bytes (from /proc/PID/status), or null once it is gone. */
export function vmRss(pid) {
  try {
    const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) * 1024;
  } catch {
    return null;
  }
}

/** `root` and all its live descendants. */
export function processTree(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = procStat(Number(name));
    if (stat) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), Number(name)]);
  }
  const tree = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.shift();
    if (!procStat(pid)) continue;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** Polls `check` every 25 ms until truthy; throws `what` after `timeoutMs`. */
export async function waitFor(check, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
