/**
 * keepalive_rebalance: how many of `count` connections each thread closes, given each thread's open
 * connections. One at a time from the thread holding the most that are still open, so the threads end
 * as even as they can be (6 and 2 asked for 4: 4 and 0) and no thread is asked for more than it holds.
 */
export function splitShed(connections: readonly number[], count: number): number[] {
  const left = [...connections];
  const shares = connections.map(() => 0);
  for (let n = 0; n < count; n++) {
    let busiest = -1;
    for (let i = 0; i < left.length; i++) if (left[i]! > 0 && (busiest < 0 || left[i]! > left[busiest]!)) busiest = i;
    if (busiest < 0) break;
    left[busiest]!--;
    shares[busiest]!++;
  }
  return shares;
}
