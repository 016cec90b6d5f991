import { ExitCode, PreError, errorMessage } from '../errors.js';
import { runHook, type ArbiterInfo } from '../hooks.js';
import { checkTlsSettings } from '../http/tls.js';
import { ListenerSet } from '../listeners/listener-set.js';
import { takeSystemdSockets } from '../listeners/systemd.js';
import type { Reloader } from './reloader.js';
import { MasterUpgrade, inheritedFixedBinds, takeInheritedListeners } from './upgrade.js';
import type { ErrorLog } from '../logging/error-log.js';
import { captureOutput } from '../logging/capture-output.js';
import { createErrorLog } from '../logging/create-logs.js';
import { resolveSettings, serializableSettings, type SettingsSources } from '../settings/load.js';
import type { Settings } from '../settings/registry.js';
import { VERSION } from '../version.js';
import { resolveWorkerIdentity } from '../identity.js';
import type { WorkerIdentity, WorkerMessage } from '../worker/protocol.js';
import type { ListenerInfo } from '../listeners/address.js';
import type { ArbiterControl, ArbiterStats, WorkerStatus } from './control-api.js';
import { settingRefusals } from '../worker/capabilities.js';
import { refuseUnsupportedBy, resolveWorkerClass, type ResolvedWorkerClass } from '../worker/resolve.js';
import { Pidfile } from './pidfile.js';
import { releaseStandbyWorker, takeStandbyWorker } from './standby.js';
import { WorkerProcess } from './worker-process.js';
import { WorkerPool, type PoolWorker } from './worker-pool.js';
import { KeepaliveBalance, describeShed, rebalancesKeepalive } from './keepalive-balance.js';
import type { ArbiterMetrics } from '../metrics/arbiter-metrics.js';
import { ControlServer } from '../control/server.js';

const SIGNALS = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGTTIN', 'SIGTTOU', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;
type ArbiterSignal = (typeof SIGNALS)[number];
const MAX_QUEUED_SIGNALS = 5;
/** At start the first worker boots alone for up to this long (WorkerPoolOptions.firstBootAloneMs). */
const FIRST_BOOT_ALONE_MS = 500;

export interface ArbiterOptions {
  readonly sources: SettingsSources;
  readonly settings: Settings;
  readonly configFile: string | null;
  readonly procName: string;
  /** The resolved `worker_class`: whether it binds its own sockets, and what it can honour. */
  readonly workerClass: ResolvedWorkerClass;
  /** Running detached (`daemon`): WINCH then stops the workers, as in Gunicorn. */
  readonly daemonized: boolean;
}

/**
 * The master process: binds the sockets, spawns the workers and keeps their number, replaces the
 * silent and the dead, and turns signals into actions. Signal handlers only queue, and worker events
 * (boots, exits) only update the pool's table and wake the loop; `run` acts. The table and the rules of
 * supervision are in WorkerPool (worker-pool.ts); the arbiter keeps the loop, the signals and the hooks.
 */
export class Arbiter implements ArbiterInfo, ArbiterControl {
  readonly pid = process.pid;
  readonly log: ErrorLog;
  #settings: Settings;
  #configFile: string | null;
  readonly #sources: SettingsSources;
  #procName: string;
  #workerClass: ResolvedWorkerClass;
  readonly #listeners: ListenerSet;
  readonly #pool: WorkerPool;
  /** The processes behind the pool's workers, by age (for IPC: listener copies, metrics). */
  readonly #processes = new Map<number, WorkerProcess>();
  #numWorkers: number;
  readonly #signals: ArbiterSignal[] = [];
  #wake: (() => void) | null = null;
  #stopping = false;
  #exitCode: number | null = null;
  #pidfile: Pidfile | null = null;
  /** Who the workers run as (`user`/`group`); null to keep pre's own identity. */
  #identity: WorkerIdentity | null = null;
  /** Sockets from systemd socket activation (or fd:// ones from an old master); they replace `bind`, also on reload. */
  readonly #fixedBinds: string[] | null;
  readonly #upgrade = new MasterUpgrade(process.env);
  readonly #daemonized: boolean;
  readonly #startedAt = Date.now();
  #reloader: Reloader | null = null;
  /** The `pre ctl` socket (control_socket); see control/server.ts. */
  #controlServer: ControlServer | null = null;
  /** StatsD and the Prometheus endpoint (statsd_host, prometheus_bind); see metrics/. */
  #metrics: ArbiterMetrics | null = null;
  #workerExits = 0;
  /** Requests served by workers that have exited (their final report): `show stats` counts them too. */
  #requestsOfExited = 0;
  /** capture_output: writes out an unfinished last line of stdout/stderr. */
  #flushCapturedOutput: (() => void) | null = null;
  #reloads = 0;
  /** keepalive_rebalance, when active for the settings and the class (keepalive-balance.ts). */
  #balance: KeepaliveBalance | null = null;
  #keepaliveRebalanced = 0;

  constructor(options: ArbiterOptions) {
    this.#sources = options.sources;
    this.#settings = options.settings;
    this.#configFile = options.configFile;
    this.#procName = options.procName;
    this.#workerClass = options.workerClass;
    this.#numWorkers = options.settings.workers;
    const inherited = inheritedFixedBinds(takeInheritedListeners(process.env));
    this.#fixedBinds = takeSystemdSockets(process.env, process.pid) ?? inherited.binds;
    this.#listeners = new ListenerSet(options.workerClass.WorkerClass.bindsOwnListeners === true, inherited.listeners);
    this.#daemonized = options.daemonized;
    this.#balance = keepaliveBalance(options.settings, options.workerClass);
    this.log = createErrorLog(options.settings, options.procName);
    this.#pool = new WorkerPool({
      spawn: (worker) => this.spawnWorker(worker),
      firstBootAloneMs: FIRST_BOOT_ALONE_MS,
      log: this.log,
      limits: () => this.#settings,
      wake: () => this.#wakeup(),
    });
    // Installed first: without handlers TTIN/TTOU would stop the process and HUP would kill it.
    for (const signal of SIGNALS) process.on(signal, () => this.#queueSignal(signal));
  }

  get procName(): string {
    return this.#procName;
  }

  get numWorkers(): number {
    return this.#numWorkers;
  }

  // --- start and the main loop ---------------------------------------------------------------

  async start(): Promise<void> {
    // Before anything is bound or forked: a setting the class cannot honour stops pre here (exit 3).
    await this.#refuseUnsupported(this.#workerClass, this.#settings);
    this.log.info(`Starting pre ${VERSION}`);
    process.title = `pre: master [${this.#procName}]`;
    await runHook(this.#settings, 'on_starting', this.log, this);
    const https = checkTlsSettings(this.#settings);
    this.#identity = resolveWorkerIdentity(this.#settings.user, this.#settings.group, this.#settings.initgroups);
    process.umask(this.#settings.umask);
    if (this.#fixedBinds) this.log.info(`Using inherited sockets: ${this.#fixedBinds.join(', ')}`);
    await this.#listeners.update(this.#fixedBinds ?? this.#settings.bind, this.log);
    await this.#startServices();
    if (this.#settings.pidfile) {
      // A new master started by USR2 writes PIDFILE.2 until the old master is gone (Gunicorn's scheme).
      this.#pidfile = new Pidfile(this.#upgrade.awaitingPromotion ? `${this.#settings.pidfile}.2` : this.#settings.pidfile);
      this.#pidfile.create(this.pid);
    }
    for (const listener of this.#listeners.infos) {
      this.log.info(`Listening at: ${https ? listener.url.replace(/^http:/, 'https:') : listener.url} (${this.pid})`);
    }
    this.log.info(`Using worker: ${this.#settings.worker_class}`);
    await runHook(this.#settings, 'when_ready', this.log, this);
    await runHook(this.#settings, 'nworkers_changed', this.log, this, this.#numWorkers, null);
  }

  /** What runs beside the loop: metrics (statsd_host, prometheus_bind), the control socket, the file watcher. */
  async #startServices(): Promise<void> {
    const Metrics = await loadArbiterMetrics(this.#settings);
    this.#metrics = Metrics && await Metrics.start(this.#settings, {
      stats: () => this.stats(),
      workerStatuses: () => this.workerStatuses(),
      listenerInfos: () => this.listenerInfos(),
      sendToWorker: (pid, message) => {
        const worker = this.#pool.byPid(pid);
        return worker !== undefined && (this.#processes.get(worker.age)?.send(message) ?? false);
      },
    }, this.log);
    this.#controlServer = await ControlServer.fromSettings(this.#settings, this, this.log);
    if (this.#settings.reload) {
      // Loaded only when asked for: file watching is a development feature.
      const { watchApp } = await import('./reloader.js');
      this.#reloader = await watchApp(this.#settings, this.#configFile, this.log, () => this.#queueSignal('SIGHUP'));
    }
  }

  /** Runs until a stop; resolves to the exit code. */
  async run(): Promise<number> {
    // capture_output from here on: start-up errors still reach the terminal.
    if (this.#settings.capture_output) this.#flushCapturedOutput = captureOutput(this.log);
    await this.manageWorkers();
    releaseStandbyWorker(); // if no spawn took it (a pre_fork hook that failed, say)
    while (this.#exitCode === null) {
      if (this.#signals.length === 0) await this.#sleep(this.#sleepMs());
      this.reapWorkers();
      if (this.#exitCode !== null) break;
      const signal = this.#signals.shift();
      if (signal) {
        await this.#handleSignal(signal);
      } else {
        this.#maybePromote();
        this.murderWorkers();
        await this.manageWorkers();
        this.rebalanceWorkers();
      }
    }
    return this.#shutdown(this.#exitCode);
  }

  /** Until the next tick, or sooner when the pool has a decision due (the first worker's boot alone, a backoff). */
  #sleepMs(): number {
    const wait = this.#pool.nextDecisionAt - Date.now();
    const tick = this.#tickMs();
    return wait > 0 ? Math.min(tick, wait + 1) : tick;
  }

  #tickMs(): number {
    const timeout = this.#settings.timeout;
    return timeout > 0 ? Math.max(100, Math.min(1000, (timeout * 1000) / 4)) : 1000;
  }

  #queueSignal(signal: ArbiterSignal): void {
    if (this.#signals.length < MAX_QUEUED_SIGNALS) this.#signals.push(signal);
    this.#wakeup();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  #wakeup(): void {
    this.#wake?.();
  }

  // --- signals -------------------------------------------------------------------------------

  async #handleSignal(signal: ArbiterSignal): Promise<void> {
    switch (signal) {
      case 'SIGHUP': return this.handleHup();
      case 'SIGTERM':
      case 'SIGINT':
      case 'SIGQUIT':
        this.log.info(`Handling signal: ${signal.slice(3).toLowerCase()}`);
        return this.stop(signal === 'SIGTERM');
      case 'SIGTTIN': return this.handleTtin();
      case 'SIGTTOU': return this.handleTtou();
      case 'SIGUSR1': return this.handleUsr1();
      case 'SIGUSR2': return this.handleUsr2();
      case 'SIGWINCH': return this.handleWinch();
    }
  }

  /** HUP: re-read the config, start a new generation of workers, retire the old one once it has booted. */
  async handleHup(): Promise<void> {
    this.log.info('Handling signal: hup');
    let settings: Settings;
    let configFile: string | null;
    let identity: WorkerIdentity | null;
    let workerClass: ResolvedWorkerClass;
    try {
      ({ settings, configFile } = await resolveSettings({ ...this.#sources, freshConfig: true }));
      workerClass = await resolveWorkerClass(settings.worker_class, process.cwd());
      this.#refuseListenerSwitch(workerClass);
      await this.#refuseUnsupported(workerClass, settings);
      identity = resolveWorkerIdentity(settings.user, settings.group, settings.initgroups);
      await this.#listeners.update(this.#fixedBinds ?? settings.bind, this.log);
    } catch (err) {
      this.log.error(`Reload failed, keeping the current configuration and workers: ${errorMessage(err)}`);
      return;
    }
    this.#settings = settings;
    this.#configFile = configFile;
    this.#workerClass = workerClass;
    this.#balance = keepaliveBalance(settings, workerClass);
    this.#identity = identity;
    this.#reloads++;
    this.log.level = settings.loglevel;
    this.#procName = settings.proc_name ?? this.#procName;
    process.title = `pre: master [${this.#procName}]`;
    await runHook(settings, 'on_reload', this.log, this);
    await this.#setNumWorkers(settings.workers);
    this.#pool.newGeneration();
    await this.manageWorkers();
  }

  /** Throws PRE_ERR_UNSUPPORTED_SETTING when `workerClass` cannot honour `settings` (binds included). */
  async #refuseUnsupported(workerClass: ResolvedWorkerClass, settings: Settings): Promise<void> {
    const refusals = settingRefusals(workerClass.capabilities, settings, this.#fixedBinds ?? settings.bind);
    await refuseUnsupportedBy(workerClass, refusals, process.cwd());
  }

  /**
   * A reload cannot switch between a class that binds its own sockets (SO_REUSEPORT) and one that serves
   * on the arbiter's: Node 20 cannot set SO_REUSEPORT on the arbiter's sockets, so the new generation
   * could not listen on the port while the old one holds it, in either direction.
   */
  #refuseListenerSwitch(next: ResolvedWorkerClass): void {
    const bindsOwn = next.WorkerClass.bindsOwnListeners === true;
    if (bindsOwn === this.#listeners.bindsOwn) return;
    const current = this.#workerClass.name;
    const [own, inheriting] = bindsOwn ? [next.name, current] : [current, next.name];
    throw new PreError('PRE_ERR_UNSUPPORTED_SETTING', `worker_class cannot change from '${current}' to '${next.name}' on a reload: ` +
      `'${own}' binds its own sockets with SO_REUSEPORT and '${inheriting}' serves on the arbiter's, and the two cannot listen on the same port at once. ` +
      'Stop pre and start it with the new worker_class to switch.');
  }

  async handleTtin(): Promise<void> {
    this.log.info('Handling signal: ttin');
    await this.#setNumWorkers(this.#numWorkers + 1);
    await this.manageWorkers();
  }

  async handleTtou(): Promise<void> {
    this.log.info('Handling signal: ttou');
    if (this.#numWorkers <= 1) return;
    await this.#setNumWorkers(this.#numWorkers - 1);
    await this.manageWorkers();
  }

  handleUsr1(): void {
    this.log.info('Handling signal: usr1');
    this.log.reopen();
    for (const worker of this.#pool.workers) worker.kill('SIGUSR1');
  }

  /** USR2: start a new master on the same sockets; this one keeps serving until WINCH/TERM. */
  handleUsr2(): void {
    this.log.info('Handling signal: usr2');
    if (this.#upgrade.childRunning || this.#upgrade.awaitingPromotion) {
      this.log.warning('USR2 ignored: an upgrade is already in progress.');
      return;
    }
    const pidfile = this.#pidfile;
    pidfile?.rename(`${this.#settings.pidfile}.oldbin`);
    const pid = this.#upgrade.start(this.#sources.argv, this.#sources.cwd, this.#listeners.inheritable, this.#settings.errorlog, (code, signal) => {
      this.log.warning(`New master (pid:${pid}) exited (${signal ?? `code ${code}`}); this master carries on.`);
      if (pidfile && this.#settings.pidfile && !this.#stopping) pidfile.rename(this.#settings.pidfile);
      if (!this.#stopping) void this.#controlServer?.reclaim(this.#settings.control_socket_mode);
      this.#wakeup();
    });
    this.log.info(`Started new master with pid: ${pid}`);
  }

  /** WINCH: stop the workers gracefully, keeping the arbiter — when daemonized or after a USR2, as in Gunicorn. */
  async handleWinch(): Promise<void> {
    if (!this.#daemonized && !this.#upgrade.childRunning) {
      this.log.info('SIGWINCH ignored: not daemonized and no upgrade in progress.');
      return;
    }
    this.log.info('Handling signal: winch; stopping the workers gracefully');
    await this.#setNumWorkers(0);
    await this.manageWorkers();
  }

  /** A new master whose old master has exited takes over the pidfile. */
  #maybePromote(): void {
    if (!this.#upgrade.promoteIfOrphaned()) return;
    this.log.info('Master has been promoted.');
    if (this.#settings.pidfile) this.#pidfile?.rename(this.#settings.pidfile);
  }

  async #setNumWorkers(value: number): Promise<void> {
    if (value === this.#numWorkers) return;
    const old = this.#numWorkers;
    this.#numWorkers = value;
    await runHook(this.#settings, 'nworkers_changed', this.log, this, value, old);
  }

  // --- control (pre ctl) ---------------------------------------------------------------------

  workerStatuses(): WorkerStatus[] {
    return this.#pool.workers.map((w) => ({
      pid: w.pid, age: w.age, generation: w.generation, booted: w.booted, retiring: w.retiringSince !== null,
      startedAt: w.spawnedAt, lastHeartbeat: w.alive ? w.handle!.lastHeartbeat() : 0, requests: w.requests,
    }));
  }

  stats(): ArbiterStats {
    const workers = this.#pool.workers;
    return {
      pid: this.pid, procName: this.#procName, version: VERSION, startedAt: this.#startedAt,
      workerClass: this.#settings.worker_class, numWorkers: this.#numWorkers, liveWorkers: workers.length,
      bootedWorkers: workers.filter((w) => w.booted && w.retiringSince === null).length, stopping: this.#stopping,
      requests: this.#requestsOfExited + workers.reduce((sum, w) => sum + w.requests, 0), workerExits: this.#workerExits, reloads: this.#reloads,
      keepaliveRebalanced: this.#keepaliveRebalanced,
    };
  }

  settingsSnapshot(): Record<string, unknown> {
    return serializableSettings(this.#settings);
  }

  listenerInfos(): ListenerInfo[] {
    return this.#listeners.infos;
  }

  async changeWorkers(delta: number): Promise<number> {
    await this.#setNumWorkers(Math.max(1, this.#numWorkers + delta));
    this.#wakeup();
    return this.#numWorkers;
  }

  killWorker(pid: number, signal: NodeJS.Signals = 'SIGTERM'): boolean {
    const worker = this.#pool.byPid(pid);
    worker?.kill(signal);
    return worker !== undefined;
  }

  requestReload(): void {
    this.#queueSignal('SIGHUP');
  }

  requestReopen(): void {
    this.#queueSignal('SIGUSR1');
  }

  requestShutdown(graceful: boolean): void {
    this.#queueSignal(graceful ? 'SIGTERM' : 'SIGQUIT');
  }

  // --- supervision (the decisions are WorkerPool's) -----------------------------------------

  /** Keeps `numWorkers` workers of the current generation; retires extras and, once it is up, the old generation. */
  async manageWorkers(): Promise<void> {
    if (!this.#stopping) await this.#pool.manage(this.#numWorkers);
  }

  /** The pool's spawner: runs `pre_fork` and forks a worker process for `worker`. */
  async spawnWorker(worker: PoolWorker): Promise<WorkerProcess> {
    const { age } = worker;
    await runHook(this.#settings, 'pre_fork', this.log, this, { pid: 0, age });
    const settings = this.#settings;
    const identity = this.#identity;
    const env = { ...process.env, ...Object.fromEntries(settings.raw_env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) };
    const listenerFds = this.#listeners.fds;
    const child = new WorkerProcess({
      age,
      tmpDir: settings.worker_tmp_dir,
      owner: identity,
      listenerFds,
      listenerHandles: listenerFds.map((_fd, index) => this.#listeners.handle(index)!),
      standby: takeStandbyWorker(env, process.cwd()),
      env,
      init: (heartbeatFd) => ({
        type: 'init',
        settings: serializableSettings(settings),
        configFile: this.#configFile,
        age,
        heartbeatFd,
        listeners: this.#listeners.infos,
        procName: this.#procName,
        identity,
      }),
      onMessage: (message) => this.#onWorkerMessage(worker, child, message),
      onExit: (code, signal) => this.#pool.exited(worker, code, signal),
    });
    this.#processes.set(age, child);
    this.log.info(`Booting worker with pid: ${child.pid}`);
    return child;
  }

  /** Records what a worker says; supervision decisions wait for the loop. */
  #onWorkerMessage(worker: PoolWorker, child: WorkerProcess, message: WorkerMessage): void {
    switch (message.type) {
      case 'booted':
        this.log.debug(`Worker booted (pid: ${worker.pid})`);
        return this.#pool.booted(worker);
      case 'retiring': return this.#pool.retiring(worker, message.handover === true);
      case 'stats':
        worker.requests = message.requests;
        this.#balance?.report(worker.age, message.connections);
        return;
      case 'metrics_snapshot':
        this.#metrics?.onWorkerMessage(worker.pid, message);
        return;
      case 'app_error':
      case 'boot_error': return this.#pool.failed(worker, message.message);
      case 'listener_copy_request': return this.#sendListenerCopy(child, message.id, message.index);
    }
  }

  /** Sends a worker a new fd for listener `index` (worker classes that open and close their listeners use it). */
  #sendListenerCopy(child: WorkerProcess, id: number, index: number): void {
    const handle = this.#listeners.handle(index);
    if (!handle) child.send({ type: 'listener_copy', id, error: `listener ${index} does not exist` });
    else child.send({ type: 'listener_copy', id }, handle);
  }

  /** keepalive_rebalance: asks a worker that serves far more than its share to let go of some keep-alive connections. */
  rebalanceWorkers(): void {
    const order = this.#balance?.judge({ workers: this.#pool.workers, generation: this.#pool.generation, numWorkers: this.#numWorkers });
    if (!order) return;
    this.log.debug(describeShed(order, this.#pool.workers.find((w) => w.age === order.age)?.pid ?? 0));
    if (this.#processes.get(order.age)?.send({ type: 'shed_connections', count: order.count })) {
      this.#keepaliveRebalanced++;
      this.#metrics?.keepaliveRebalanced();
    }
  }

  /** Heartbeat timeouts (SIGABRT, then SIGKILL) and retiring workers past `graceful_timeout`. */
  murderWorkers(): void {
    this.#pool.murder();
  }

  /** Takes the exited workers out of the table; halts when the pool says no worker can boot. */
  reapWorkers(): void {
    const halt = this.#pool.reap(this.#stopping, (worker) => this.reapWorker(worker));
    if (halt) this.halt(halt.code, halt.reason);
  }

  /** One exited worker: log how it ended, run `child_exit`. */
  reapWorker(worker: PoolWorker): void {
    this.#processes.delete(worker.age);
    this.#balance?.forget(worker.age);
    this.#metrics?.workerExited(worker.pid);
    this.#requestsOfExited += worker.requests;
    if (!this.#stopping) this.#workerExits++;
    const { pid, exitCode: code, signal } = worker;
    if (signal === 'SIGKILL' && worker.abortedAt === null && worker.retiringSince === null && !this.#stopping) {
      this.log.error(`Worker (pid:${pid}) was sent SIGKILL! Perhaps out of memory?`);
    } else if (signal) {
      this.log.warning(`Worker (pid:${pid}) was sent ${signal}!`);
    } else if (code !== 0) {
      this.log.error(`Worker (pid:${pid}) exited with code ${code}`);
    }
    void runHook(this.#settings, 'child_exit', this.log, this, worker);
  }

  // --- stopping ------------------------------------------------------------------------------

  /** TERM (graceful) or INT/QUIT (fast): workers stop, killed after `graceful_timeout`; then the arbiter exits 0. */
  async stop(graceful: boolean, exitCode: number = ExitCode.OK): Promise<void> {
    this.#stopping = true;
    this.#exitCode ??= exitCode;
    // Gunicorn's order: let go of the sockets first, so once the workers stop accepting, new connections
    // are refused at once instead of waiting in the backlog until this process exits. (A new master
    // after USR2 has its own copies, and the unix socket files it serves on stay.)
    this.#listeners.closeAll(this.#upgrade.childRunning);
    for (const worker of this.#pool.workers) worker.kill(graceful ? 'SIGTERM' : 'SIGQUIT');
    const deadline = Date.now() + this.#settings.graceful_timeout * 1000;
    while (this.#pool.size > 0 && Date.now() < deadline) {
      await this.#sleep(100);
      this.reapWorkers();
      const quick = this.#signals.findIndex((s) => s === 'SIGINT' || s === 'SIGQUIT');
      if (graceful && quick >= 0) {
        graceful = false;
        for (const worker of this.#pool.workers) worker.kill('SIGQUIT');
      }
    }
    for (const worker of this.#pool.workers) worker.kill('SIGKILL');
    await Promise.all(this.#pool.workers.map((w) => w.handle!.exited));
    this.reapWorkers();
  }

  /** Stops everything and exits with `code`, logging why. */
  halt(code: number, reason: string): void {
    this.log.error(reason);
    this.#stopping = true;
    this.#exitCode = code;
    for (const worker of this.#pool.workers) worker.kill('SIGTERM');
    this.#wakeup();
  }

  async #shutdown(code: number): Promise<number> {
    await this.#reloader?.close();
    if (this.#pool.size > 0) await this.stop(true, code);
    await this.#metrics?.close();
    await this.#controlServer?.close(); // Removes the socket file (unless a new master took it over).
    // A new master serving on our unix sockets needs their files.
    this.#listeners.closeAll(this.#upgrade.childRunning);
    this.#pidfile?.unlink(this.pid);
    await runHook(this.#settings, 'on_exit', this.log, this);
    this.log.info('Shutting down: Master');
    this.#flushCapturedOutput?.();
    this.log.flush();
    return code;
  }
}

/** The balance of keep-alive connections, when keepalive_rebalance is active for these settings and this class. */
function keepaliveBalance(settings: Settings, workerClass: ResolvedWorkerClass): KeepaliveBalance | null {
  return rebalancesKeepalive(settings, workerClass.capabilities) ? new KeepaliveBalance() : null;
}

/** The metrics and health modules, loaded only when a setting asks for them (most masters never do). */
async function loadArbiterMetrics(settings: Settings): Promise<typeof ArbiterMetrics | null> {
  if (!settings.statsd_host && !settings.prometheus_bind && !settings.health_bind) return null;
  return (await import('../metrics/arbiter-metrics.js')).ArbiterMetrics;
}
