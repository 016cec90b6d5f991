/** The first fd systemd passes (SD_LISTEN_FDS_START). */
const SD_LISTEN_FDS_START = 3;

/**
 * The sockets of systemd socket activation (`LISTEN_FDS`/`LISTEN_PID`), as `fd://N` binds, or null when
 * this process was not socket-activated. The variables are removed so the workers do not see them.
 */
export function takeSystemdSockets(env: NodeJS.ProcessEnv, pid: number): string[] | null {
  const count = Number(env.LISTEN_FDS);
  if (env.LISTEN_PID !== String(pid) || !Number.isInteger(count) || count < 1) return null;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  return Array.from({ length: count }, (_, i) => `fd://${SD_LISTEN_FDS_START + i}`);
}
