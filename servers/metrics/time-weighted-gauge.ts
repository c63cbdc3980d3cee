/**
 * A gauge averaged over time, not over updates: a mailbox that holds 500 messages for 1 s and 0
 * for 9 s has a time-weighted mean of 50, however many updates each period saw.
 */
export class TimeWeightedGauge {
  private current = 0;
  private max = 0;
  private integral = 0;
  private since: number;
  private lastChange: number;

  constructor(now: number) {
    this.since = now;
    this.lastChange = now;
  }

  set(value: number, now: number): void {
    this.integral += this.current * (now - this.lastChange);
    this.lastChange = now;
    this.current = value;
    if (value > this.max) this.max = value;
  }

  read(now: number): { readonly current: number; readonly max: number; readonly mean: number } {
    const elapsed = now - this.since;
    const integral = this.integral + this.current * (now - this.lastChange);
    return { current: this.current, max: this.max, mean: elapsed > 0 ? Math.round((integral / elapsed) * 100) / 100 : this.current };
  }

  /** Starts a new window that begins at the current value. */
  reset(now: number): void {
    this.integral = 0;
    this.since = now;
    this.lastChange = now;
    this.max = this.current;
  }
}
