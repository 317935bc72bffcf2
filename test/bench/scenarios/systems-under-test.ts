import type { Installation, RunningSystem, SystemDefinition } from '../systems/system.js';
import type { ScenarioContext } from './scenario.js';

/** A system as one scenario holds it: installed, maybe running, and out of the scenario once failed. */
export interface SystemUnderTest {
  readonly definition: SystemDefinition;
  readonly installation: Installation;
  running: RunningSystem | undefined;
  failed: boolean;
}

/**
 * Every system of the run, installed (at once, or found installed by an earlier scenario); one that
 * cannot be installed is reported and left out.
 */
export async function installAll(context: ScenarioContext, scenario: string): Promise<SystemUnderTest[]> {
  context.environment.log(`${scenario}: installing ${context.systems.map((s) => s.id).join(', ')}`);
  const installed = await Promise.all(
    context.systems.map(async (definition): Promise<SystemUnderTest | null> => {
      try {
        const installation = await context.install(definition);
        return { definition, installation, running: undefined, failed: false };
      } catch (error) {
        const message = (error as Error).message;
        context.report.failures.push({ scenario, system: definition.id, message });
        context.environment.log(`${scenario}: ${definition.id} could not be installed: ${message}`);
        return null;
      }
    }),
  );
  return installed.filter((system) => system !== null);
}

/**
 * Runs `step` for each system still in the scenario: one after the other, so that only one server works
 * at a time (measurements); or all at once with `parallel` (set-up, where nothing is measured). A system
 * whose step fails is reported, with the end of its server's output, stopped and left out of the rest of
 * the scenario; the others go on.
 *
 * `round` (a measured round's number) orders the systems forward in odd rounds and backward in even ones:
 * where a system stands in a round moved its figure, so each pair of systems takes both orders. Measured
 * 2026-12-06 (`users-10000`, 6 rounds, two builds as `tidings-sqlite-before` and `tidings-sqlite`, then
 * swapped): the one measured first read 8.0 and 11 % less CPU per post than the other, whichever it was.
 * In the latency scenario too: Tidings' p99 was 13–18 ms in rounds where it came first, 26–114 ms where it
 * came after the others. Not the others' leftover work: with the disk flushed (`sync`) and every other
 * server idle before each system, the order still moved the p99 as much, and the short fan-out rounds,
 * measured after seconds of idle, read 3–4 times higher on every system (a cold CPU), so that was not kept.
 */
export async function forEachSystem(
  context: ScenarioContext,
  scenario: string,
  systems: readonly SystemUnderTest[],
  step: (system: SystemUnderTest) => Promise<void>,
  options: { parallel?: boolean; round?: number } = {},
): Promise<void> {
  const live = systems.filter((system) => !system.failed);
  if (options.parallel) {
    await Promise.all(live.map((system) => forEachSystem(context, scenario, [system], step)));
    return;
  }
  if (options.round !== undefined && options.round % 2 === 0) live.reverse();
  for (const system of live) {
    try {
      await step(system);
    } catch (error) {
      system.failed = true;
      const output = system.running?.output().trim().split('\n').slice(-5).join('\n') ?? '';
      const message = (error as Error).message;
      context.report.failures.push({ scenario, system: system.definition.id, message });
      context.environment.log(
        `${scenario}: ${system.definition.id} FAILED: ${message}${output ? `\n  server output:\n${output}` : ''}`,
      );
      await stopRunning(system);
    }
  }
}

export async function stopRunning(system: SystemUnderTest): Promise<void> {
  const running = system.running;
  system.running = undefined;
  await running?.stop();
}

/** Stops every server the scenario started (installations stay for the next scenario). */
export async function tearDown(systems: readonly SystemUnderTest[]): Promise<void> {
  await Promise.all(systems.map((system) => stopRunning(system).catch(() => {})));
}
