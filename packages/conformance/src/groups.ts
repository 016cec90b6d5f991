/** Every group of cases, in the order they run. */
import type { KitEnv, KitGroup } from './kit-case.js';
import { bodiesGroup } from './cases/bodies.js';
import { bodyLimitGroup } from './cases/body-limit.js';
import { keepaliveGroup } from './cases/keepalive.js';
import { defaultLimitsGroup, limitsGroup, zeroLimitsGroup } from './cases/limits.js';
import { malformedGroup } from './cases/malformed.js';
import { pipeliningGroup } from './cases/pipelining.js';
import { slowlorisGroup } from './cases/slowloris.js';
import { timeoutsGroup } from './cases/timeouts.js';
import { validGroup } from './cases/valid.js';
import { lifecycleGroup } from './cases/lifecycle.js';
import { accessLogGroup, heartbeatGroup, hooksGroup } from './cases/observability.js';
import { forwardedGroup, proxyProtocolGroup } from './cases/proxy.js';
import { tlsGroup } from './cases/tls.js';
import { fuzzGroup } from './cases/fuzz.js';
import { http2Group } from './cases/http2.js';

export const GROUPS: KitGroup[] = [
  validGroup, malformedGroup, pipeliningGroup, limitsGroup, defaultLimitsGroup, zeroLimitsGroup,
  keepaliveGroup, bodiesGroup, bodyLimitGroup, timeoutsGroup, slowlorisGroup, tlsGroup, forwardedGroup, proxyProtocolGroup,
  lifecycleGroup, hooksGroup, accessLogGroup, heartbeatGroup, fuzzGroup,
];
GROUPS.push(http2Group);

/** Every case id, `group/id`, including each group's closing worker-lives-on check. */
export function caseIds(env: KitEnv): Set<string> {
  const ids = new Set<string>();
  for (const group of GROUPS) {
    for (const c of group.cases(env)) ids.add(`${group.id}/${c.id}`);
    if (group.workerLivesOn) ids.add(`${group.id}/worker-lives-on`);
  }
  return ids;
}
