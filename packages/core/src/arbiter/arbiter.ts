import { ExitCode, errorMessage } from '../errors.js';
import { runHook, type ArbiterInfo } from '../hooks.js';
import { checkTlsSettings } from '../http/tls.js';
import { ListenerSet } from '../listeners/listener-set.js';
import { takeSystemdSockets } from '../listeners/systemd.js';
import type { Reloader } from './reloader.js';
import { MasterUpgrade, inheritedFixedBinds, takeInheritedListeners } from './upgrade.js';
import { ErrorLog } from '../logging/error-log.js';
import { resolveSettings, serializableSettings, type SettingsSources } from '../settings/load.js';
import type { Settings } from '../settings/registry.js';
import { VERSION } from '../version.js';
import { resolveWorkerIdentity } from '../identity.js';
import type { WorkerIdentity, WorkerMessage } from '../worker/protocol.js';
import type { ListenerInfo } from '../listeners/address.js';
import type { ArbiterControl, ArbiterStats, WorkerStatus } from './control-api.js';
import { resolveWorkerClass } from '../worker/resolve.js';
import { Pidfile } from './pidfile.js';
import { WorkerProcess } from './worker-process.js';
import { ArbiterMetrics } from '../metrics/arbiter-metrics.js';
import { ControlServer } from '../control/server.js';

const SIGNALS = ['SIGHUP', 'SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGTTIN', 'SIGTTOU', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;
type ArbiterSignal = (typeof SIGNALS)[number];
const MAX_QUEUED_SIGNALS = 5;
const MAX_BOOT_FAILURES = 5;

export interface ArbiterOptions {
  readonly sources: SettingsSources;
  readonly settings: Settings;
  readonly configFile: string | null;
  readonly procName: string;
  readonly bindsOwnListeners: boolean;
  /** Running detached (`daemon`): WINCH then stops the workers, as in Gunicorn. */
  readonly daemonized: boolean;
}

/**
 * The master process: binds the sockets, spawns the workers and keeps their number, replaces the
 * silent and the dead, and turns signals into actions. Signal handlers only queue; `run` acts.
 */
export class Arbiter implements ArbiterInfo, ArbiterControl {
  readonly pid = process.pid;
  readonly log: ErrorLog;
  #settings: Settings;
  #configFile: string | null;
  readonly #sources: SettingsSources;
  #procName: string;
  readonly #listeners: ListenerSet;
  readonly #workers = new Map<number, WorkerProcess>();
  #numWorkers: number;
  #generation = 0;
  #age = 0;
  readonly #signals: ArbiterSignal[] = [];
  #wake: (() => void) | null = null;
  #bootFailures = 0;
  #nextSpawnAt = 0;
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
  #reloads = 0;

  constructor(options: ArbiterOptions) {
    this.#sources = options.sources;
    this.#settings = options.settings;
    this.#configFile = options.configFile;
    this.#procName = options.procName;
    this.#numWorkers = options.settings.workers;
    const inherited = inheritedFixedBinds(takeInheritedListeners(process.env));
    this.#fixedBinds = takeSystemdSockets(process.env, process.pid) ?? inherited.binds;
    this.#listeners = new ListenerSet(options.bindsOwnListeners, inherited.listeners);
    this.#daemonized = options.daemonized;
    this.log = new ErrorLog({ path: options.settings.errorlog, level: options.settings.loglevel });
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
    this.#metrics = await ArbiterMetrics.start(this.#settings, {
      stats: () => this.stats(),
      workerStatuses: () => this.workerStatuses(),
      listenerInfos: () => this.listenerInfos(),
      sendToWorker: (pid, message) => {
        const worker = [...this.#workers.values()].find((w) => w.pid === pid);
        if (!worker?.alive || !worker.child.connected) return false;
        worker.child.send(message);
        return true;
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
    await this.manageWorkers();
    while (this.#exitCode === null) {
      if (this.#signals.length === 0) await this.#sleep(this.#tickMs());
      const signal = this.#signals.shift();
      if (signal) {
        await this.#handleSignal(signal);
      } else {
        this.#maybePromote();
        this.murderWorkers();
        await this.manageWorkers();
      }
    }
    return this.#shutdown(this.#exitCode);
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
    try {
      ({ settings, configFile } = await resolveSettings({ ...this.#sources, freshConfig: true }));
      if (settings.worker_class !== this.#settings.worker_class) await resolveWorkerClass(settings.worker_class, process.cwd());
      identity = resolveWorkerIdentity(settings.user, settings.group, settings.initgroups);
      await this.#listeners.update(this.#fixedBinds ?? settings.bind, this.log);
    } catch (err) {
      this.log.error(`Reload failed, keeping the current configuration: ${errorMessage(err)}`);
      return;
    }
    this.#settings = settings;
    this.#configFile = configFile;
    this.#identity = identity;
    this.#reloads++;
    this.log.level = settings.loglevel;
    this.#procName = settings.proc_name ?? this.#procName;
    process.title = `pre: master [${this.#procName}]`;
    await runHook(settings, 'on_reload', this.log, this);
    await this.#setNumWorkers(settings.workers);
    this.#generation++;
    await this.manageWorkers();
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
    for (const worker of this.#workers.values()) worker.kill('SIGUSR1');
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
    return [...this.#workers.values()].map((w) => ({
      pid: w.pid, age: w.age, generation: w.generation, booted: w.booted, retiring: w.retiringSince !== null,
      startedAt: w.spawnedAt, lastHeartbeat: w.alive ? w.lastHeartbeat() : 0, requests: w.requests,
    }));
  }

  stats(): ArbiterStats {
    const workers = [...this.#workers.values()];
    return {
      pid: this.pid, procName: this.#procName, version: VERSION, startedAt: this.#startedAt,
      workerClass: this.#settings.worker_class, numWorkers: this.#numWorkers, liveWorkers: workers.length,
      bootedWorkers: workers.filter((w) => w.booted && w.retiringSince === null).length, stopping: this.#stopping,
      requests: this.#requestsOfExited + workers.reduce((sum, w) => sum + w.requests, 0), workerExits: this.#workerExits, reloads: this.#reloads,
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
    const worker = [...this.#workers.values()].find((w) => w.pid === pid);
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

  // --- supervision ---------------------------------------------------------------------------

  /** Keeps `numWorkers` workers of the current generation; retires extras and, once it is up, the old generation. */
  async manageWorkers(): Promise<void> {
    if (this.#stopping) return;
    const active = [...this.#workers.values()].filter((w) => w.retiringSince === null && !w.awaitingReplacement);
    const current = active.filter((w) => w.generation === this.#generation);
    const missing = this.#numWorkers - current.length;
    if (missing > 0 && Date.now() >= this.#nextSpawnAt) {
      for (let i = 0; i < missing; i++) await this.spawnWorker();
    } else if (missing < 0) {
      for (const worker of current.sort((a, b) => a.age - b.age).slice(0, -missing)) this.retireWorker(worker);
    }
    const outdated = active.filter((w) => w.generation !== this.#generation);
    const replaced = current.filter((w) => w.booted).length >= this.#numWorkers;
    if (outdated.length > 0 && replaced) {
      for (const worker of outdated) this.retireWorker(worker);
    }
    if (replaced) {
      for (const worker of this.#workers.values()) if (worker.awaitingReplacement && worker.retiringSince === null) this.retireWorker(worker);
    }
  }

  async spawnWorker(): Promise<void> {
    const age = ++this.#age;
    await runHook(this.#settings, 'pre_fork', this.log, this, { pid: 0, age });
    const settings = this.#settings;
    const identity = this.#identity;
    const worker = new WorkerProcess({
      age,
      generation: this.#generation,
      tmpDir: settings.worker_tmp_dir,
      owner: identity,
      listenerFds: this.#listeners.fds,
      env: { ...process.env, ...Object.fromEntries(settings.raw_env.map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])) },
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
      onMessage: (w, message) => this.#onWorkerMessage(w, message),
      onExit: (w) => this.reapWorker(w),
    });
    this.#workers.set(age, worker);
    this.log.info(`Booting worker with pid: ${worker.pid}`);
  }

  #onWorkerMessage(worker: WorkerProcess, message: WorkerMessage): void {
    switch (message.type) {
      case 'booted':
        worker.booted = true;
        this.#bootFailures = 0;
        this.#nextSpawnAt = 0;
        this.log.debug(`Worker booted (pid: ${worker.pid})`);
        break;
      case 'retiring':
        if (message.handover) worker.awaitingReplacement = true;
        else worker.retiringSince ??= Date.now();
        break;
      case 'stats':
        worker.requests = message.requests;
        return;
      case 'metrics_snapshot':
        this.#metrics?.onWorkerMessage(worker.pid, message);
        return;
      case 'app_error':
      case 'boot_error':
        worker.failure = message.message;
        break;
      case 'listener_copy_request':
        this.#sendListenerCopy(worker, message.id, message.index);
        return;
    }
    this.#wakeup();
  }

  /** Sends a worker a new fd for listener `index` (worker classes that open and close their listeners use it). */
  #sendListenerCopy(worker: WorkerProcess, id: number, index: number): void {
    const handle = this.#listeners.handle(index);
    if (!worker.alive || !worker.child.connected) return;
    if (!handle) {
      worker.child.send({ type: 'listener_copy', id, error: `listener ${index} does not exist` });
      return;
    }
    worker.child.send({ type: 'listener_copy', id }, handle as never);
  }

  /** Asks a worker to stop gracefully; it no longer counts toward `numWorkers`. */
  retireWorker(worker: WorkerProcess): void {
    worker.retiringSince ??= Date.now();
    worker.kill('SIGTERM');
  }

  /** Heartbeat timeouts (SIGABRT, then SIGKILL) and retiring workers past `graceful_timeout`. */
  murderWorkers(): void {
    const now = Date.now();
    const { timeout, graceful_timeout: graceful } = this.#settings;
    for (const worker of this.#workers.values()) {
      if (!worker.alive) continue;
      if (worker.retiringSince !== null && now - worker.retiringSince > graceful * 1000 + 500) {
        this.log.warning(`Worker (pid:${worker.pid}) did not stop within graceful_timeout (${graceful}s); killing it`);
        worker.kill('SIGKILL');
      } else if (worker.abortedAt !== null) {
        if (now - worker.abortedAt >= 1000) worker.kill('SIGKILL');
      } else if (timeout > 0 && now - worker.lastHeartbeat() > timeout * 1000) {
        this.log.critical(`WORKER TIMEOUT (pid:${worker.pid})`);
        worker.abortedAt = now;
        worker.kill('SIGABRT');
      }
    }
  }

  /** Called when a worker process exited. */
  reapWorker(worker: WorkerProcess): void {
    this.#workers.delete(worker.age);
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
    if (!this.#stopping && !worker.booted) this.#onBootFailure(worker);
    this.#wakeup();
  }

  /** A worker died before it booted: roll back a reload, back off, or halt when no worker can boot. */
  #onBootFailure(worker: WorkerProcess): void {
    const appError = worker.exitCode === ExitCode.APP_LOAD_ERROR;
    const reason = worker.failure ?? `exit code ${worker.exitCode ?? worker.signal}`;
    const serving = [...this.#workers.values()].filter((w) => w.booted && w.retiringSince === null);
    if (serving.length === 0) {
      if (appError) return this.halt(ExitCode.APP_LOAD_ERROR, `App failed to load:\n${reason}`);
      if (worker.exitCode === ExitCode.WORKER_BOOT_ERROR || this.#bootFailures + 1 >= MAX_BOOT_FAILURES) {
        return this.halt(ExitCode.WORKER_BOOT_ERROR, `Worker failed to boot:\n${reason}`);
      }
    } else if (worker.generation === this.#generation && serving.some((w) => w.generation !== this.#generation)) {
      this.log.error(`Reload failed, the previous workers keep serving:\n${reason}`);
      for (const w of serving) w.generation = this.#generation;
    } else {
      this.log.error(`Worker failed to boot:\n${reason}`);
    }
    this.#bootFailures++;
    this.#nextSpawnAt = Date.now() + Math.min(100 * 2 ** this.#bootFailures, 10_000);
  }

  // --- stopping ------------------------------------------------------------------------------

  /** TERM (graceful) or INT/QUIT (fast): workers stop, killed after `graceful_timeout`; then the arbiter exits 0. */
  async stop(graceful: boolean, exitCode: number = ExitCode.OK): Promise<void> {
    this.#stopping = true;
    this.#exitCode ??= exitCode;
    for (const worker of this.#workers.values()) worker.kill(graceful ? 'SIGTERM' : 'SIGQUIT');
    const deadline = Date.now() + this.#settings.graceful_timeout * 1000;
    while (this.#workers.size > 0 && Date.now() < deadline) {
      await this.#sleep(100);
      const quick = this.#signals.findIndex((s) => s === 'SIGINT' || s === 'SIGQUIT');
      if (graceful && quick >= 0) {
        graceful = false;
        for (const worker of this.#workers.values()) worker.kill('SIGQUIT');
      }
    }
    for (const worker of this.#workers.values()) worker.kill('SIGKILL');
    await Promise.all([...this.#workers.values()].map((w) => w.exited));
  }

  /** Stops everything and exits with `code`, logging why. */
  halt(code: number, reason: string): void {
    this.log.error(reason);
    this.#stopping = true;
    this.#exitCode = code;
    for (const worker of this.#workers.values()) worker.kill('SIGTERM');
    this.#wakeup();
  }

  async #shutdown(code: number): Promise<number> {
    await this.#reloader?.close();
    if (this.#workers.size > 0) await this.stop(true, code);
    await this.#metrics?.close();
    await this.#controlServer?.close(); // Removes the socket file (unless a new master took it over).
    // A new master serving on our unix sockets needs their files.
    this.#listeners.closeAll(this.#upgrade.childRunning);
    this.#pidfile?.unlink(this.pid);
    await runHook(this.#settings, 'on_exit', this.log, this);
    this.log.info('Shutting down: Master');
    this.log.flush();
    return code;
  }
}
