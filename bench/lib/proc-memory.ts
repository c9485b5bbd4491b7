/**
 * Process memory for benchmarks, from Linux /proc (no sampling error for the peak: the kernel keeps
 * VmHWM, the high-water mark of the resident set).
 *
 * - peakRssMb(pid): VmHWM in MiB (NaN when the process is gone or /proc is not there).
 * - resetPeakRss(pid): writes "5" to /proc/<pid>/clear_refs, which resets VmHWM to the current RSS
 *   (Linux ≥ 4.0; only for processes we own), so a second run of a benchmark gets its own peak.
 * - RssSampler: polls VmRSS of named processes, keeps the samples and remembers when each peaked, so
 *   a report can say in which stage the peak happened (VmHWM gives the value, not the moment).
 */
import { readFileSync, writeFileSync } from 'node:fs';

function statusKb(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

export function peakRssMb(pid: number | undefined): number {
  return pid === undefined ? NaN : statusKb(pid, 'VmHWM') / 1024;
}

export function rssMb(pid: number | undefined): number {
  return pid === undefined ? NaN : statusKb(pid, 'VmRSS') / 1024;
}

/** Reset VmHWM of a process we own; false when the kernel refused. */
export function resetPeakRss(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

export interface RssPeak {
  name: string;
  pid: number;
  /** Largest VmRSS sampled, MiB, and when (epoch ms). */
  sampledMb: number;
  sampledAt: number;
  /** VmHWM when the sampler stopped (true peak since start or the last reset), MiB. */
  hwmMb: number;
  /** Every sample: [epoch ms, MiB]. */
  samples: [number, number][];
}

export class RssSampler {
  private readonly peaks = new Map<string, { pid: number; mb: number; at: number; samples: [number, number][] }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly procs: readonly { name: string; pid: number | undefined }[], private readonly intervalMs = 100) {}

  start(): this {
    for (const p of this.procs) if (p.pid !== undefined) this.peaks.set(p.name, { pid: p.pid, mb: 0, at: 0, samples: [] });
    const tick = () => {
      const now = Date.now();
      for (const [, peak] of this.peaks) {
        const mb = rssMb(peak.pid);
        if (Number.isFinite(mb)) peak.samples.push([now, mb]);
        if (mb > peak.mb) {
          peak.mb = mb;
          peak.at = now;
        }
      }
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
    return this;
  }

  stop(): RssPeak[] {
    if (this.timer) clearInterval(this.timer);
    return [...this.peaks].map(([name, p]) => ({ name, pid: p.pid, sampledMb: p.mb, sampledAt: p.at, hwmMb: peakRssMb(p.pid), samples: p.samples }));
  }
}
