/**
 * `tq-entra history --target T [--since 24h] [--range CIDR] [--json]`: what the target's
 * writing reconciles changed, when, and from which source(s), oldest first (state/history-store.ts).
 * Per run: the ranges added and removed per named location, the policy fields changed, the sources'
 * snapshot runs, the range count after it and its content hash. An added range's sources are the
 * source collections whose committed snapshot held it at that run; a removed range names the sources
 * it was added from (when that add is still in the history). `--range` keeps the runs that added or
 * removed a range overlapping CIDR (and only those ranges). Text output lists up to 20 ranges per
 * location and run; `--json` has them all. Reads Redis only.
 */
import type { Command } from 'commander';
import { findTarget } from '../config/find-target.ts';
import { parseDuration } from '../config/schema.ts';
import { UsageError } from '../errors/sync-error.ts';
import { cidrsOverlap, normalizeCidr, parseCidr, type ParsedCidr } from '../ranges/index.ts';
import { boundedRedis } from '../redis/redis-connection.ts';
import { withCommandRedis } from './with-command-redis.ts';
import type { HistoryEntry } from '../state/history-diff.ts';
import { readHistory } from '../state/history-store.ts';
import { stateKeys } from '../state/redis-keys.ts';
import type { CommandContext } from './command-context.ts';
import { loadConfigForCommand } from './load-for-command.ts';
import { writeJson } from './plan.ts';

interface HistoryOptions {
  config?: string;
  target: string;
  since?: string;
  range?: string;
  json?: boolean;
}

/** One range change as shown: the range, its location, and its sources. */
export interface RangeChange {
  cidr: string;
  location: string;
  sources: string[];
}

export interface HistoryView {
  run: string;
  at: string;
  kind: HistoryEntry['kind'];
  pinnedTo: string | undefined;
  sources: HistoryEntry['sources'];
  added: RangeChange[];
  removed: RangeChange[];
  policy: HistoryEntry['policy'];
  total: number;
  hash: string;
}

const SHOWN = 20;

/** A CIDR or an address as a parsed range; UsageError naming `what` otherwise. */
export function parseQuery(text: string, what: string): { cidr: string; parsed: ParsedCidr } {
  const cidr = normalizeCidr(text);
  const parsed = cidr === null ? undefined : parseCidr(cidr);
  if (cidr === null || !parsed) throw new UsageError(`${what}: "${text}" is not an IPv4 or IPv6 address or CIDR`);
  return { cidr, parsed };
}

/** Every entry as a view, oldest first; a removed range names the sources of its last add seen before. */
export function historyViews(entries: readonly HistoryEntry[]): HistoryView[] {
  const addedFrom = new Map<string, string[]>();
  return entries.map((e) => {
    const added: RangeChange[] = [];
    const removed: RangeChange[] = [];
    for (const l of e.locations) {
      l.removed.forEach((cidr) => removed.push({ cidr, location: l.name, sources: addedFrom.get(cidr) ?? [] }));
      l.added.forEach((cidr, i) => {
        const sources = (l.addedFrom[i] ?? []).map((k) => e.sources[k]?.label ?? '?');
        addedFrom.set(cidr, sources.length > 0 ? sources : e.pinnedTo ? [`pinned:${e.pinnedTo}`] : []);
        added.push({ cidr, location: l.name, sources: addedFrom.get(cidr) ?? [] });
      });
    }
    // A range that moved between locations is neither added nor removed.
    const moved = new Set(added.map((a) => a.cidr).filter((c) => removed.some((r) => r.cidr === c)));
    const keep = (c: RangeChange): boolean => !moved.has(c.cidr);
    return { run: e.run, at: e.at, kind: e.kind, pinnedTo: e.pinnedTo, sources: e.sources, added: added.filter(keep), removed: removed.filter(keep), policy: e.policy, total: e.total, hash: e.hash };
  });
}

function overlapping(views: HistoryView[], q: ParsedCidr): HistoryView[] {
  const hit = (c: RangeChange): boolean => {
    const p = parseCidr(c.cidr);
    return p !== undefined && cidrsOverlap(p, q);
  };
  return views.map((v) => ({ ...v, added: v.added.filter(hit), removed: v.removed.filter(hit) })).filter((v) => v.added.length + v.removed.length > 0);
}

function changeLines(sign: string, list: readonly RangeChange[]): string[] {
  const out = list.slice(0, SHOWN).map((c) => `    ${sign} ${c.cidr}  in "${c.location}"${c.sources.length > 0 ? `  ${sign === '+' ? 'from' : 'was from'} ${c.sources.join(', ')}` : ''}`);
  if (list.length > SHOWN) out.push(`    … and ${list.length - SHOWN} more (use --json or --range)`);
  return out;
}

export function formatHistoryText(target: string, views: readonly HistoryView[]): string {
  if (views.length === 0) return `No recorded change for target "${target}" in the period asked.\n`;
  const out: string[] = [];
  for (const v of views) {
    const pin = v.pinnedTo ? `  pinned to ${v.pinnedTo}` : '';
    out.push(`${v.at}  ${v.run}  ${v.kind}  +${v.added.length} -${v.removed.length}  total ${v.total}${pin}`);
    const fed = v.sources.map((s) => `${s.label}@${s.runId ?? 'none'}`).join(', ');
    if (fed) out.push(`    sources: ${fed}`);
    out.push(...changeLines('+', v.added), ...changeLines('-', v.removed));
    if (v.policy.action !== 'unchanged') out.push(`    policy ${v.policy.action}${v.policy.fields.length > 0 ? `: ${v.policy.fields.join(', ')}` : ''}`);
  }
  return `${out.join('\n')}\n`;
}

async function runHistory(opts: HistoryOptions): Promise<void> {
  const config = loadConfigForCommand(opts.config);
  const target = findTarget(config, opts.target);
  const sinceMs = opts.since === undefined ? undefined : parseDuration(opts.since);
  if (opts.since !== undefined && sinceMs === undefined) throw new UsageError(`--since: "${opts.since}" is not a duration (e.g. 90m, 24h, 7d)`);
  const q = opts.range === undefined ? undefined : parseQuery(opts.range, '--range');
  await withCommandRedis(config, async ({ redis }) => {
    // Every kept entry is read so that removed ranges can name the sources they were added from.
    const views = historyViews(await readHistory(redis, stateKeys(config.redis.prefix), target.name));
    const from = sinceMs === undefined ? 0 : Date.now() - sinceMs;
    let shown = views.filter((v) => Date.parse(v.at) >= from);
    if (q) shown = overlapping(shown, q.parsed);
    if (opts.json) await writeJson(process.stdout, { target: target.name, entries: shown });
    else process.stdout.write(formatHistoryText(target.name, shown));
  });
}

export function registerHistoryCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('history')
    .description("what the target's reconciles changed in Entra, when, and from which source(s)")
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target')
    .option('--since <duration>', 'only runs recorded within this long (e.g. 24h, 7d)')
    .option('--range <cidr>', 'only changes of ranges overlapping this CIDR or address')
    .option('--json', 'print the entries as JSON')
    .action(boundedRedis((opts: HistoryOptions) => runHistory(opts)));
}
