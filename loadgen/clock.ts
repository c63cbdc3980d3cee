/** The clock probes carry: process.hrtime, in nanoseconds, shared by every process on the host. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}
