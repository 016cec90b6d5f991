/** Every group of cases, in the order they run. */
import type { KitGroup } from './kit-case.js';
import { malformedGroup } from './cases/malformed.js';
import { validGroup } from './cases/valid.js';

export const GROUPS: KitGroup[] = [validGroup, malformedGroup];
