import { execFileSync } from 'node:child_process';
import { PreError } from './errors.js';
import type { WorkerIdentity } from './worker/protocol.js';

function lookup(command: string, args: string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * The uid/gid the workers drop to, from `user`/`group` (names or numbers). Names are resolved with
 * `id` and `getent`, so NSS sources (LDAP, sssd) work as they do for other daemons.
 */
export function resolveWorkerIdentity(user: string | null, group: string | null, initgroups: boolean): WorkerIdentity | null {
  if (user === null && group === null) return null;
  if (process.getuid?.() !== 0) {
    throw new PreError('PRE_ERR_BAD_SETTING', `Setting 'user'/'group' needs pre to start as root (it runs as uid ${process.getuid?.()}).`);
  }
  let uid = process.getuid();
  let gid = process.getgid!();
  let name: string | null = null;
  if (user !== null) {
    const found = lookup('id', ['-u', '--', user]);
    if (found === null) throw new PreError('PRE_ERR_BAD_SETTING', `Invalid value for setting 'user' (-u/--user): "${user}". No such user.`);
    uid = Number(found);
    gid = Number(lookup('id', ['-g', '--', user]) ?? gid);
    name = /^\d+$/.test(user) ? lookup('id', ['-un', '--', user]) : user;
  }
  if (group !== null) {
    const entry = lookup('getent', ['group', group]);
    if (entry === null) throw new PreError('PRE_ERR_BAD_SETTING', `Invalid value for setting 'group' (-g/--group): "${group}". No such group.`);
    gid = Number(entry.split(':')[2]);
  }
  return { uid, gid, initgroupsUser: initgroups ? name : null };
}

/** In the worker: give up root for the configured identity, group first. */
export function dropPrivileges(identity: WorkerIdentity): void {
  // process.initgroups exists on POSIX; @types/node leaves it out.
  const { initgroups } = process as unknown as { initgroups: (user: string, extraGroup: number) => void };
  if (identity.initgroupsUser) initgroups(identity.initgroupsUser, identity.gid);
  else process.setgroups!([identity.gid]);
  process.setgid!(identity.gid);
  process.setuid!(identity.uid);
}
