/** The arithmetic of `npm run bench`'s tables: medians, percentiles, ratios and targets. */

export const median = (values: readonly number[]): number => percentile(values, 0.5);

/** The nearest-rank percentile (p between 0 and 1): a value that was measured, never an interpolation. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(sorted.length * p) - 1))] ?? Number.NaN;
}

/** A figure, or "n/a" when it could not be measured here. */
export function figure(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? "n/a" : value.toFixed(digits);
}

/** `measured / baseline` as "0.83×", or "n/a". */
export function ratio(measured: number | undefined, baseline: number | undefined): string {
  if (
    measured === undefined ||
    baseline === undefined ||
    !Number.isFinite(measured) ||
    !Number.isFinite(baseline) ||
    baseline === 0
  )
    return "n/a";
  return `${(measured / baseline).toFixed(2)}×`;
}

/** "met" or "not met" beside a target, "n/a" when the figure is missing. */
export function verdict(met: boolean | undefined): string {
  return met === undefined ? "n/a" : met ? "met" : "NOT MET";
}
