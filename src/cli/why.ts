/**
 * `tq-entra why --target T CIDR-or-IP [--json]`: why is this address blocked. From Redis only:
 *   - where: the target's named locations holding a range that overlaps it (the history head: what
 *     the newest recorded run left; state/history-store.ts);
 *   - why: per source collection feeding the target, the ranges of its committed snapshot that overlap
 *     it, each with up to 5 of the indicators that made it (value, score, first seen = ThreatQ
 *     created_at, last seen = ThreatQ updated_at; state/provenance-store.ts) and the snapshot's run;
 *   - since when: per range held, the first run in the kept history that added it and the run since
 *     which it has been held (its latest add);
 *   - whether the target is pinned (then the pin, not the sources, keeps it), and whether the address
 *     is on safety.neverBlock (then it is never blocked).
 * Exit 0 whether or not it is blocked; 2 for a value that is not an address or CIDR.
 */
import type { Command } from 'commander';
import { feedersOf } from '../config/collections.ts';
import type { Config, TargetConfig } from '../config/schema.ts';
import { findTarget } from '../config/find-target.ts';
import { cidrsOverlap, normalizeCidr, parseCidr, type ParsedCidr } from '../ranges/index.ts';
import { boundedRedis } from '../redis/redis-connection.ts';
import { withCommandRedis } from './with-command-redis.ts';
import type { RedisClient } from '../redis/redis-connection.ts';
import { readHead, readHistory } from '../state/history-store.ts';
import { readPin } from '../state/pin-store.ts';
import { readProvenance, type RangeProvenance } from '../state/provenance-store.ts';
import { stateKeys, type StateKeys } from '../state/redis-keys.ts';
import { readSnapshot } from '../state/snapshot-store.ts';
import type { CommandContext } from './command-context.ts';
import { historyViews, parseQuery } from './history.ts';
import { loadConfigForCommand } from './load-for-command.ts';
import { writeJson } from './plan.ts';

interface WhyOptions {
  config?: string;
  target: string;
  json?: boolean;
}

interface HeldRange {
  cidr: string;
  location: string;
  /** First run in the kept history that added it, and the run since which it has been held. */
  firstBlocked: { run: string; at: string } | undefined;
  blockedSince: { run: string; at: string } | undefined;
}

interface SourceReason {
  label: string;
  snapshotRun: string | undefined;
  committedAt: string | undefined;
  ranges: RangeProvenance[];
}

interface WhyAnswer {
  target: string;
  query: string;
  blocked: boolean;
  held: HeldRange[];
  sources: SourceReason[];
  pinned: { run: string; at: string; by: string } | undefined;
  neverBlock: string[];
  /** Oldest run kept in the history (a range added before it shows no firstBlocked). */
  historyFrom: string | undefined;
}

function overlaps(cidr: string, q: ParsedCidr): boolean {
  const p = parseCidr(normalizeCidr(cidr) ?? cidr);
  return p !== undefined && cidrsOverlap(p, q);
}

function labelOf(config: Config, source: string, collection: string): string {
  return config.sources.find((s) => s.name === source)?.kind === 'file' ? source : `${source}/${collection}`;
}

async function heldRanges(redis: RedisClient, keys: StateKeys, target: string, q: ParsedCidr): Promise<{ held: HeldRange[]; historyFrom: string | undefined }> {
  const held: HeldRange[] = [];
  for (const [location, ranges] of await readHead(redis, keys, target)) {
    for (const cidr of ranges) if (overlaps(cidr, q)) held.push({ cidr, location, firstBlocked: undefined, blockedSince: undefined });
  }
  const entries = await readHistory(redis, keys, target);
  for (const v of historyViews(entries)) {
    for (const a of v.added) {
      const h = held.find((x) => x.cidr === a.cidr);
      if (!h) continue;
      h.firstBlocked ??= { run: v.run, at: v.at };
      h.blockedSince = { run: v.run, at: v.at };
    }
  }
  return { held, historyFrom: entries[0]?.at };
}

async function sourceReasons(redis: RedisClient, keys: StateKeys, config: Config, target: TargetConfig, query: string): Promise<SourceReason[]> {
  const out: SourceReason[] = [];
  for (const { source, collection } of feedersOf(config, target.name)) {
    const snap = await readSnapshot(redis, keys, source, collection);
    const cidrs = snap ? snap.entries.map((e) => e.cidr) : [];
    const ranges = await readProvenance(redis, keys, source, collection, cidrs, query);
    out.push({ label: labelOf(config, source, collection), snapshotRun: snap?.meta.runId, committedAt: snap?.meta.committedAt, ranges });
  }
  return out;
}

function formatWhy(a: WhyAnswer): string {
  const out: string[] = [`${a.query} in target "${a.target}": ${a.blocked ? 'BLOCKED' : 'not blocked'} (as of the last recorded run)`];
  for (const h of a.held) {
    const first = h.firstBlocked ? `first blocked ${h.firstBlocked.at} (${h.firstBlocked.run})` : `blocked since before the kept history${a.historyFrom ? ` (from ${a.historyFrom})` : ''}`;
    const since = h.blockedSince && h.blockedSince.run !== h.firstBlocked?.run ? `, held since ${h.blockedSince.at} (${h.blockedSince.run})` : '';
    out.push(`  ${h.cidr} in named location "${h.location}": ${first}${since}`);
  }
  if (a.pinned) out.push(`  target pinned to run ${a.pinned.run} since ${a.pinned.at} by ${a.pinned.by}: the pin, not the sources, decides (tq-entra unpin)`);
  for (const n of a.neverBlock) out.push(`  on safety.neverBlock (${n}): never blocked by this target`);
  for (const s of a.sources) {
    if (s.ranges.length === 0) continue;
    out.push(`  source ${s.label} (snapshot ${s.snapshotRun ?? 'none'}, committed ${s.committedAt ?? '-'}):`);
    for (const r of s.ranges) {
      out.push(`    range ${r.cidr} from ${r.total} indicator(s)${r.total > r.indicators.length ? ` (the ${r.indicators.length} highest-scored shown)` : ''}:`);
      for (const i of r.indicators) out.push(`      ${i.value}  score ${i.score ?? '-'}  first seen ${i.firstSeen ?? '-'}  last seen ${i.lastSeen ?? '-'}`);
    }
  }
  if (a.sources.every((s) => s.ranges.length === 0)) out.push('  no committed snapshot of a source feeding this target holds it');
  return `${out.join('\n')}\n`;
}

async function runWhy(value: string, opts: WhyOptions): Promise<void> {
  const config = loadConfigForCommand(opts.config);
  const target = findTarget(config, opts.target);
  const q = parseQuery(value, 'address');
  await withCommandRedis(config, async ({ redis }) => {
    const keys = stateKeys(config.redis.prefix);
    const { held, historyFrom } = await heldRanges(redis, keys, target.name, q.parsed);
    const pin = await readPin(redis, keys, target.name);
    const answer: WhyAnswer = {
      target: target.name,
      query: q.cidr,
      blocked: held.length > 0,
      held,
      sources: await sourceReasons(redis, keys, config, target, q.cidr),
      pinned: pin && { run: pin.run, at: pin.at, by: pin.by },
      neverBlock: target.safety.neverBlock.filter((n) => overlaps(n, q.parsed)),
      historyFrom,
    };
    if (opts.json) await writeJson(process.stdout, answer);
    else process.stdout.write(formatWhy(answer));
  });
}

export function registerWhyCommand(program: Command, _ctx: CommandContext): void {
  program
    .command('why')
    .description('why is this address or CIDR blocked: sources, indicators, location, since when')
    .argument('<address>', 'an IPv4 or IPv6 address or CIDR')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target')
    .option('--json', 'print the answer as JSON')
    .action(boundedRedis((value: string, opts: WhyOptions) => runWhy(value, opts)));
}
