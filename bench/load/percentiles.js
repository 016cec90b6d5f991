// Latency percentiles of a list of milliseconds.
export function percentile(sortedMs, pct) {
  if (sortedMs.length === 0) return NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((pct / 100) * sortedMs.length))];
}

export function summary(latenciesMs, errors, elapsedMs) {
  const sorted = Float64Array.from(latenciesMs).sort();
  return { requests: sorted.length, rps: (sorted.length / elapsedMs) * 1000, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), errors };
}
