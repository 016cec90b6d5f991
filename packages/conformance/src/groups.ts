/** Every group of cases, in the order they run. */
import type { KitGroup } from './kit-case.js';
import { bodiesGroup } from './cases/bodies.js';
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
  keepaliveGroup, bodiesGroup, timeoutsGroup, slowlorisGroup, tlsGroup, forwardedGroup, proxyProtocolGroup,
  lifecycleGroup, hooksGroup, accessLogGroup, heartbeatGroup, fuzzGroup,
];
GROUPS.push(http2Group);
