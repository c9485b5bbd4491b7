/**
 * Progress for long CLI work (`sync --wait`, `plan` on big sets, `ranges merge` on big files), on
 * stderr so stdout stays pipeable.
 *
 *   TTY:   one line redrawn in place (`\r` + erase-to-end), at most every `redrawMs` (100 ms):
 *            merging [██████░░░░░░░░░░░░░░]  30% 3,000/10,000 lines · 1,500/s · ETA 5s
 *          cut to the terminal width so it never wraps; `done()` leaves the final line and a newline.
 *   other: plain lines, at most one per `intervalMs` (1 s) and always one at the end, so CI logs and
 *          redirected output stay readable:
 *            merging: 3,000/10,000 lines (30%) · 1,500/s · ETA 5s
 *            merging: done: 10,000 lines in 6.7s (1,493/s)
 * Without a total it shows the count and rate only. `log()` prints a message without breaking the
 * bar. No dependency: the format is small enough to own. The clock is injectable for tests.
 */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  label: string;
  total?: number;
  /** What is counted ("indicators", "lines"); default "items". */
  unit?: string;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Plain mode: least time between two lines (default 1000 ms). */
  intervalMs?: number;
  /** TTY mode: least time between two redraws (default 100 ms). */
  redrawMs?: number;
  now?: () => number;
}

export interface ProgressReporter {
  /** Set the count done so far (and optionally a new total). */
  update(done: number, total?: number): void;
  increment(by?: number): void;
  /** Print a message line without garbling the bar. */
  log(line: string): void;
  /** Final line (and an optional summary line after it). Later calls do nothing. */
  /** The final line; `failed` says "failed" instead of "done" (a run that did not succeed). */
  done(summary?: string, outcome?: { failed: boolean }): void;
  readonly current: number;
}

const FILL = '█';
const EMPTY = '░';
const ERASE_LINE = '\x1b[K';

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)}s`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Where a progress count stands: what the status lines are made from. */
interface ProgressState {
  label: string;
  unit: string;
  started: number;
  total: number | undefined;
  count: number;
}

function statusParts(st: ProgressState, t: number): { pct: number | undefined; amount: string; stats: string } {
  const secs = (t - st.started) / 1000;
  const rate = secs > 0 ? st.count / secs : 0;
  const parts = [`${formatCount(rate)}/s`];
  if (st.total !== undefined && st.total > st.count && rate > 0) parts.push(`ETA ${formatDuration(((st.total - st.count) / rate) * 1000)}`);
  const pct = st.total !== undefined && st.total > 0 ? Math.min(100, Math.floor((st.count / st.total) * 100)) : undefined;
  const amount = st.total === undefined ? `${formatCount(st.count)} ${st.unit}` : `${formatCount(st.count)}/${formatCount(st.total)} ${st.unit}`;
  return { pct, amount, stats: parts.join(' · ') };
}

/** The terminal line, redrawn in place: a bar when the total is known and the width allows. */
function ttyLine(st: ProgressState, t: number, columns: number | undefined): string {
  const width = Math.max(20, columns ?? 80);
  const { pct: p, amount, stats } = statusParts(st, t);
  const text = `${p === undefined ? '' : `${String(p).padStart(3)}% `}${amount} · ${stats}`;
  const room = width - 1 - st.label.length - text.length - 4;
  let line = `${st.label} ${text}`;
  if (p !== undefined && room >= 10) {
    const barWidth = Math.min(30, room);
    const filled = Math.round((barWidth * p) / 100);
    line = `${st.label} [${FILL.repeat(filled)}${EMPTY.repeat(barWidth - filled)}] ${text}`;
  }
  return line.length > width - 1 ? line.slice(0, width - 1) : line;
}

/** The line printed once per interval when the stream is not a terminal. */
function plainLine(st: ProgressState, t: number): string {
  const { pct: p, amount, stats } = statusParts(st, t);
  return `${st.label}: ${amount}${p === undefined ? '' : ` (${p}%)`} · ${stats}`;
}

export function createProgress(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const tty = Boolean(stream.isTTY);
  const now = options.now ?? Date.now;
  const unit = options.unit ?? 'items';
  const interval = tty ? (options.redrawMs ?? 100) : (options.intervalMs ?? 1000);
  const started = now();
  const st: ProgressState = { label: options.label, unit, started, total: options.total, count: 0 };
  let lastOutput = started;
  let finished = false;
  let drawn = false;

  const draw = (t: number) => {
    stream.write(`\r${ttyLine(st, t, stream.columns)}${ERASE_LINE}`);
    drawn = true;
  };
  const maybeOutput = () => {
    if (finished) return;
    const t = now();
    if (t - lastOutput < interval && (tty ? drawn : true)) return;
    lastOutput = t;
    if (tty) draw(t);
    else stream.write(`${plainLine(st, t)}\n`);
  };

  return {
    get current() {
      return st.count;
    },
    update(done, newTotal) {
      if (finished) return;
      st.count = Math.max(0, done);
      if (newTotal !== undefined) st.total = newTotal;
      maybeOutput();
    },
    increment(by = 1) {
      if (finished) return;
      st.count += by;
      maybeOutput();
    },
    log(line) {
      if (tty) {
        stream.write(`\r${ERASE_LINE}${line}\n`);
        if (drawn && !finished) draw(now());
      } else stream.write(`${line}\n`);
    },
    done(summary, outcome) {
      if (finished) return;
      finished = true;
      const t = now();
      if (tty) stream.write(`\r${ttyLine(st, t, stream.columns)}${ERASE_LINE}\n`);
      else {
        const secs = (t - started) / 1000;
        const r = secs > 0 ? ` (${formatCount(st.count / secs)}/s)` : '';
        stream.write(`${options.label}: ${outcome?.failed ? 'failed' : 'done'}: ${formatCount(st.count)} ${unit} in ${formatDuration(t - started)}${r}\n`);
      }
      if (summary !== undefined) stream.write(`${summary}\n`);
    },
  };
}
