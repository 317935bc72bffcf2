import { writeFileSync } from 'node:fs';
import { type Summary, summarize } from './lib/stats.js';
import type { BenchReport, Figure } from './scenarios/scenario.js';
import { REFERENCE_SYSTEM, SYSTEMS } from './systems/index.js';
import { isTidingsId, type SystemId } from './systems/system.js';

export interface FigureResult extends Figure {
  readonly summary: Summary;
  readonly rateSummary: Summary | null;
  /** Median over the reference system's median (raw ws, or the figure's own reference), when both exist. */
  readonly ratio: number | null;
  /** Whether the ratio meets the target; null where no target applies. */
  readonly targetMet: boolean | null;
}

export function evaluate(report: BenchReport): FigureResult[] {
  const figures = report.all();
  const medians = new Map(figures.map((f) => [`${f.id} ${f.system}`, summarize(f.samples).median]));
  return figures.map((figure) => {
    const summary = summarize(figure.samples);
    const base = medians.get(`${figure.id} ${figure.reference ?? REFERENCE_SYSTEM}`);
    // A net figure can come out at or below zero when the trigger alone is most of the cost: noise, so
    // no ratio (and no verdict) is drawn from it.
    const ratio = base !== undefined && base > 0 && summary.median > 0 ? summary.median / base : null;
    const meets = (value: number, target: number) =>
      figure.higherIsBetter ? value >= target : value <= target;
    // Tidings' rows are the ones a target applies to.
    const targetMet = !isTidingsId(figure.system)
      ? null
      : figure.targetRatio !== undefined && ratio !== null
        ? meets(ratio, figure.targetRatio)
        : figure.targetValue !== undefined && Number.isFinite(summary.median)
          ? meets(summary.median, figure.targetValue)
          : null;
    return {
      ...figure,
      summary,
      rateSummary: figure.rates.length ? summarize(figure.rates) : null,
      ratio,
      targetMet,
    };
  });
}

const number = (value: number) =>
  !Number.isFinite(value)
    ? '–'
    : Math.abs(value) >= 100
      ? value.toFixed(0)
      : Math.abs(value) >= 10
        ? value.toFixed(1)
        : value.toFixed(2);

const rate = (value: number) =>
  value >= 10_000
    ? `${(value / 1000).toFixed(0)}k`
    : value >= 1000
      ? `${(value / 1000).toFixed(1)}k`
      : value.toFixed(0);

/** The table printed at the end: one block per figure, one line per system. */
export function formatTable(results: readonly FigureResult[]): string {
  const header = ['system', 'median', 'min–max', 'IQR', 'ratio', 'target', 'wall rate/s'];
  const lines: string[] = [];
  const ids = [...new Set(results.map((r) => r.id))];
  for (const id of ids) {
    // In the order of SYSTEMS, whatever order the rounds finished in.
    const order = (system: SystemId) => SYSTEMS.findIndex((s) => s.id === system);
    const rows = results.filter((r) => r.id === id).sort((a, b) => order(a.system) - order(b.system));
    const first = rows[0] as FigureResult;
    const bound = first.higherIsBetter ? '≥' : '≤';
    const reference = first.reference ?? REFERENCE_SYSTEM;
    const target =
      first.targetRatio !== undefined
        ? ` — target for Tidings ${bound} ${first.targetRatio}× ${reference}`
        : first.targetValue !== undefined
          ? ` — target for Tidings ${bound} ${first.targetValue}`
          : '';
    const ratioTo = first.reference === undefined ? '' : ` (ratios to ${first.reference})`;
    lines.push(
      '',
      `${first.label} [${first.unit}${first.higherIsBetter ? ', more is better' : ''}]${ratioTo}${target}`,
    );
    const cells = rows.map((r) => [
      r.system,
      number(r.summary.median),
      `${number(r.summary.min)}–${number(r.summary.max)}`,
      `${number(r.summary.q1)}–${number(r.summary.q3)}`,
      r.ratio === null
        ? r.summary.median > 0 || r.system === reference
          ? ''
          : 'noise'
        : `${r.ratio.toFixed(2)}×`,
      r.targetMet === null ? '' : r.targetMet ? 'yes' : 'NO',
      r.rateSummary ? rate(r.rateSummary.median) : '',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
    const line = (c: readonly string[]) =>
      `  ${c.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number))).join('  ')}`;
    lines.push(line(header), ...cells.map(line));
  }
  return lines.join('\n');
}

export function writeResults(path: string, content: Record<string, unknown>): void {
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
}
