import type { BenchEnvironment, Installation, SystemDefinition, SystemId } from '../systems/system.js';

/** One figure of one system: a sample per measured round (lower is better). */
export interface Figure {
  /** Stable id, e.g. `fanout/devices-1000/gross`: the key in bench-results.json. */
  readonly id: string;
  /** What the table calls it. */
  readonly label: string;
  readonly unit: string;
  readonly system: SystemId;
  readonly samples: number[];
  /** A wall-clock rate per round (e.g. frames/s), reported second. */
  readonly rates: number[];
  /** The goal for Tidings, as a ratio to the reference system's median (e.g. 1.5). */
  readonly targetRatio?: number;
  /** The system whose median the ratios are to, when not the run's reference (raw ws). */
  readonly reference?: SystemId;
  /** A rate: more is better, and a target is a floor (ratio ≥ targetRatio, median ≥ targetValue). */
  readonly higherIsBetter?: boolean;
  /** The goal for Tidings as an absolute value of the median (e.g. ≤ 2 store queries per reconnect). */
  readonly targetValue?: number;
  /** Raw data per round (CPU, frames, wall time…), for the JSON. */
  readonly rounds: Record<string, unknown>[];
}

export type FigureTemplate = Pick<Figure, 'id' | 'label' | 'unit'> &
  Partial<Pick<Figure, 'targetRatio' | 'reference' | 'higherIsBetter' | 'targetValue'>>;

/** What scenarios write into; the runner prints and saves it, also after a failure. */
export class BenchReport {
  private readonly figures = new Map<string, Figure>();
  readonly failures: Array<{ scenario: string; system?: SystemId; message: string }> = [];
  /** The first `next` frame each system sent, to check that all send the same shape and size. */
  readonly sampleFrames = new Map<SystemId, string>();
  /** Each scenario's parameters (counts, concurrency, rounds), for the JSON. */
  readonly parameters: Record<string, unknown> = {};

  /** Adds one round's sample (and wall-clock rate) of `system` to a figure. */
  add(
    template: FigureTemplate,
    system: SystemId,
    sample: number,
    round: Record<string, unknown>,
    rate?: number,
  ): void {
    const key = `${template.id} ${system}`;
    let figure = this.figures.get(key);
    if (!figure) {
      figure = { ...template, system, samples: [], rates: [], rounds: [] };
      this.figures.set(key, figure);
    }
    figure.samples.push(sample);
    if (rate !== undefined) figure.rates.push(rate);
    figure.rounds.push(round);
  }

  all(): Figure[] {
    return [...this.figures.values()];
  }
}

export interface ScenarioContext {
  /**
   * The run's installation of a system, made on first use and shared by every scenario (so device
   * subscriptions are created once per run); removed at the end of the run.
   */
  install(system: SystemDefinition): Promise<Installation>;
  readonly quick: boolean;
  /** --rounds=N, overriding each scenario's default. */
  readonly rounds: number | undefined;
  readonly systems: readonly SystemDefinition[];
  readonly environment: BenchEnvironment;
  /** Samples go here as rounds complete, so a failure later keeps what was measured. */
  readonly report: BenchReport;
}

/**
 * A scenario: sets up its systems (via their common interface), warms up, measures in rounds that
 * interleave the systems (A B C… A B C…), and stops everything it started, also when it fails. A system
 * that fails is recorded in the report and left out of the rest of the scenario.
 */
export interface Scenario {
  /** The name --only= takes. */
  readonly id: string;
  readonly title: string;
  /** Left out of a run unless --only names it (it would make the full run much longer). */
  readonly optIn?: boolean;
  run(context: ScenarioContext): Promise<void>;
}
