import { createRate } from './create-rate.js';
import { fanout } from './fanout.js';
import { growth } from './growth.js';
import { idleCpu } from './idle-cpu.js';
import { idleMemory } from './idle-memory.js';
import { latency } from './latency.js';
import { replay } from './replay.js';
import type { Scenario } from './scenario.js';
import { soak } from './soak.js';
import { writeFloor } from './write-floor.js';

/**
 * Every scenario, in the order a full run takes them (the opt-in ones only with --only). A new one is a
 * module here and a line below.
 */
export const SCENARIOS: readonly Scenario[] = [
  fanout,
  idleMemory,
  createRate,
  latency,
  replay,
  growth,
  idleCpu,
  writeFloor,
  soak,
];
