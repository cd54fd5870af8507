import fs from 'node:fs';

/**
 * Memory and CPU of processes read from /proc (Linux): what the cluster's test and the scale benchmark
 * report for the Temporal server, PostgreSQL and the workers.
 */

/** A set of processes measured together: one name, its pids read again at each sample (they may change). */
export interface MeteredGroup {
  name: string;
  pids: () => number[];
  /** `pss` for processes that share memory (PostgreSQL's buffers), so it counts once; default `rss`. */
  memory?: 'rss' | 'pss';
  /** Measure CPU time from when the group is added (not for a process that is restarted meanwhile). */
  cpu?: boolean;
}

export interface GroupUsage {
  name: string;
  memoryPeakMiB: number;
  memoryLastMiB: number;
  /** CPU seconds (user + system) since the group was added; undefined when not measured. */
  cpuSeconds?: number;
}

/**
 * Samples the memory of every group every `everyMs` (peak kept) and their CPU time from when added:
 * per process, so processes that come and go between samples are counted (up to one interval lost).
 */
export class ResourceMeter {
  private readonly groups: MeteredGroup[] = [];
  private readonly peaks = new Map<string, number>();
  private readonly last = new Map<string, number>();
  /** Per group, per pid: CPU ticks when first seen (0 for a process begun since) and when last seen. */
  private readonly ticks = new Map<string, Map<number, { first: number; last: number }>>();
  private readonly timer: NodeJS.Timeout;

  constructor(groups: MeteredGroup[] = [], everyMs = 2000) {
    for (const g of groups) this.add(g);
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  add(group: MeteredGroup): void {
    this.groups.push(group);
    if (!group.cpu) return;
    const byPid = new Map<number, { first: number; last: number }>();
    for (const pid of group.pids()) {
      const now = cpuTicks([pid]);
      byPid.set(pid, { first: now, last: now });
    }
    this.ticks.set(group.name, byPid);
  }

  sample(): void {
    for (const g of this.groups) {
      const size = g.memory === 'pss' ? pssMiB : rssMiB;
      const pids = g.pids();
      if (!pids.length) continue;
      // A process that exits (PostgreSQL recycles its backends) keeps the CPU it had at its last sample.
      const byPid = this.ticks.get(g.name);
      if (byPid)
        for (const pid of pids) {
          const seen = byPid.get(pid);
          if (seen) seen.last = Math.max(seen.last, cpuTicks([pid]));
          else byPid.set(pid, { first: 0, last: cpuTicks([pid]) });
        }
      const now = pids.reduce((n, p) => n + size(p), 0);
      this.last.set(g.name, now);
      this.peaks.set(g.name, Math.max(this.peaks.get(g.name) ?? 0, now));
    }
  }

  private cpuSecondsOf(name: string): number {
    let ticks = 0;
    for (const { first, last } of this.ticks.get(name)!.values()) ticks += last - first;
    return ticks / 100;
  }

  /** Stops sampling after a last sample; every group measured at least once, in the order added. */
  stop(): GroupUsage[] {
    clearInterval(this.timer);
    this.sample();
    return this.groups
      .filter((g) => this.peaks.has(g.name))
      .map((g) => ({
        name: g.name,
        memoryPeakMiB: this.peaks.get(g.name)!,
        memoryLastMiB: this.last.get(g.name) ?? 0,
        cpuSeconds: g.cpu ? this.cpuSecondsOf(g.name) : undefined,
      }));
  }
}

/** The postmaster and its children (one backend per connection, plus background processes). */
export function pgPids(postmaster: number): number[] {
  const children = fs
    .readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(postmaster);
      } catch {
        return false;
      }
    })
    .map(Number);
  return [postmaster, ...children];
}

/** Proportional set size: shared buffers counted once across PostgreSQL's processes, not once per backend. */
export function pssMiB(pid: number): number {
  try {
    return Number(/Pss:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

export function rssMiB(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return 0;
  }
}

/** utime + stime, in clock ticks (100 per second on Linux), summed over `pids`. */
export function cpuTicks(pids: number[]): number {
  return pids.reduce((n, pid) => {
    try {
      const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return n + Number(fields[11]) + Number(fields[12]);
    } catch {
      return n;
    }
  }, 0);
}
