/**
 * `tq-entra plan --config F --target T [--indicators FILE] [--manual] [--json]`: compute the reconcile
 * of one target and print the diff (ranges added and removed per location, locations created and
 * deleted, policy fields changed, overflow, refusals). Reads Graph and Redis; writes nothing.
 * Exit 0 when the plan could be applied, 1 when a safety guard would refuse it (or on failure), 2 on
 * usage/configuration errors.
 *
 * `runReconcileCommand` is shared with `apply` (src/cli/apply.ts). Desired ranges: with
 * `--indicators FILE` the file is the only source; otherwise the committed snapshots in Redis.
 * `apply --indicators` on a target pinned by `tq-entra rollback` is a usage error naming the pin
 * (exit 2) unless `--ignore-pin`. Redis
 * from `config.redis`; Graph via the target's credential, waiting through throttling.
 *
 * `--indicators FILE` in bounded memory: the file is streamed and merged as `ranges merge` does
 * (readIndicatorsFile: the shared line reader, the target's floors, never-block subtracted, floor
 * split, all on typed arrays), so a 15M-line file needs a few hundred MB, not one object per range.
 * Every range of the file has the same weight (0), so the planner keeps, of the ranges that do not fit,
 * exactly those already live in Entra first and then the first in address order. Only these can be
 * selected, so when the file has more ranges than the target holds (capacity = maxLocations ×
 * maxRangesPerLocation) the planner is given the first `capacity + 20` ranges (20: the overflow
 * examples) plus every further range already in one of the tenant's named locations (one extra
 * listing of the locations, only in that case); the plan is the same as with the whole list, and its
 * counts (summary.desired, overflow.total and bySource, the overflow warning, desiredBeforeNeverBlock)
 * are corrected for the ranges not handed over. The reconcile's own log line counts only those handed over.
 * Rejected examples are printed escaped (printableText), as `ranges merge` and `report` do.
 */
import { once } from 'node:events';
import type { Command } from 'commander';
import { boundedRedis, createRedisConnection, type RedisClient } from '../redis/redis-connection.ts';
import { UsageError } from '../errors/sync-error.ts';
import { readPin } from '../state/pin-store.ts';
import type { Config, TargetConfig } from '../config/schema.ts';
import { createGraphClient } from '../graph/graph-client.ts';
import type { GraphClient } from '../graph/graph-types.ts';
import { stateKeys } from '../state/redis-keys.ts';
import { cidrLineChunks, normalizeCidr, printableText } from '../ranges/index.ts';
import { formatApplyText, formatPlanText } from '../reconcile/format-plan.ts';
import type { DesiredRange } from '../reconcile/plan-types.ts';
import { reconcileTarget, type ReconcileResult } from '../reconcile/reconcile-target.ts';
import { findTarget } from '../config/find-target.ts';
import { newRunId } from '../pipeline/run-ids.ts';
import { loadConfigForCommand, readIndicatorsFile, type IndicatorsFile } from './load-for-command.ts';
import { EXIT_FAILURE, type CommandContext } from './command-context.ts';

export interface ReconcileCommandOptions {
  config?: string;
  target: string;
  indicators?: string;
  manual?: boolean;
  force?: boolean;
  json?: boolean;
  /** apply only: let `--indicators` replace a pinned target's desired set. */
  ignorePin?: boolean;
}

/** `apply --indicators` would silently replace a rollback's pinned ranges: a usage error naming the pin. */
async function refuseIfPinned(redis: RedisClient, config: Config, target: string): Promise<void> {
  const pin = await readPin(redis, stateKeys(config.redis.prefix), target);
  if (!pin) return;
  throw new UsageError(
    `target "${target}" is pinned to run ${pin.run} since ${pin.at} (tq-entra rollback, by ${pin.by}): --indicators would replace the pinned ranges; ` +
      `run \`tq-entra unpin --target ${target}\` first, or pass --ignore-pin to apply the file anyway (the pin stays)`,
  );
}

/** Overflow examples the plan shows (plan.ts's overflowReport keeps 20). */
const OVERFLOW_EXAMPLES = 20;

function describeIndicatorsFile(f: IndicatorsFile): string {
  const reasons = Object.entries(f.rejections)
    .map(([code, t]) => `${code} ${t?.count ?? 0} (e.g. ${(t?.examples ?? []).slice(0, 3).map((e) => printableText(e, 80)).join(', ')})`)
    .join('; ');
  const decoded = f.encoding === 'utf-8' ? '' : ` (decoded as ${f.encoding.toUpperCase()})`;
  const ranges = f.store.sizeV4 + f.store.sizeV6;
  return `${printableText(f.path)}${decoded}: ${f.accepted} indicator(s) accepted, ${f.rejected} rejected${reasons ? `: ${reasons}` : ''} -> ${ranges} range(s)\n`;
}

/**
 * The desired list handed to the planner (see the header): every range when they fit, else the first
 * `capacity + 20` and every further one already live in the tenant. `omitted` = ranges not handed over.
 */
async function boundedDesired(f: IndicatorsFile, target: TargetConfig, graph: GraphClient): Promise<{ desired: DesiredRange[]; omitted: number }> {
  const total = f.store.sizeV4 + f.store.sizeV6;
  const limit = target.namedLocation.maxLocations * target.namedLocation.maxRangesPerLocation + OVERFLOW_EXAMPLES;
  let live: Set<string> | undefined;
  if (total > limit) {
    live = new Set();
    for (const loc of await graph.listNamedLocations()) for (const r of loc.ipRanges) live.add(normalizeCidr(r) ?? r);
  }
  const sources = [f.path];
  const desired: DesiredRange[] = [];
  let index = 0;
  const latin1 = new TextDecoder('latin1');
  for (const chunk of cidrLineChunks(f.store)) {
    const lines = latin1.decode(chunk).split('\n');
    lines.pop();
    for (const cidr of lines) {
      if (index++ < limit || live?.has(cidr)) desired.push({ cidr, weight: 0, sources });
    }
  }
  return { desired, omitted: total - desired.length };
}

/** Count the ranges not handed to the planner as left out (they would have been: see the header). */
function countOmitted(result: ReconcileResult, f: Pick<IndicatorsFile, 'path' | 'mergedBeforeNeverBlock'>, omitted: number): void {
  result.desiredBeforeNeverBlock = f.mergedBeforeNeverBlock;
  if (omitted === 0) return;
  const { plan } = result;
  plan.summary.desired += omitted;
  plan.overflow.total += omitted;
  plan.overflow.bySource[f.path] = (plan.overflow.bySource[f.path] ?? 0) + omitted;
  const at = plan.warnings.findIndex((w) => /^\d+ desired range\(s\) do not fit/.test(w));
  if (at >= 0) {
    const w = plan.warnings[at] as string;
    plan.warnings[at] = w.replace(/^\d+/, (n) => String(Number(n) + omitted));
  } else {
    plan.warnings.push(`${omitted} desired range(s) do not fit in the target's capacity`);
  }
}

type Json = unknown;

/**
 * `JSON.stringify(value, null, 2)` and a newline, written in pieces of about 64 KiB with backpressure
 * instead of as one string: the plan of a full target (390,000 ranges) is ~32 MB of JSON, which as one
 * string plus its encoded copy was the largest allocation of `plan --indicators --json`. Same text
 * (toJSON honoured, undefined and functions left out of objects and written as null in arrays).
 */
export async function writeJson(out: NodeJS.WritableStream, value: Json): Promise<void> {
  let buf = '';
  const flush = async (): Promise<void> => {
    const ok = out.write(buf);
    buf = '';
    if (!ok) await once(out, 'drain');
  };
  const skipped = (x: unknown): boolean => x === undefined || typeof x === 'function' || typeof x === 'symbol';
  const walk = async (input: Json, pad: string): Promise<void> => {
    let v = input;
    if (v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): Json }).toJSON();
    if (v === null || typeof v !== 'object') {
      buf += JSON.stringify(v) ?? 'null';
      return;
    }
    const inner = `${pad}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) {
        buf += '[]';
        return;
      }
      buf += '[';
      for (let i = 0; i < v.length; i += 1) {
        buf += `${i > 0 ? ',' : ''}\n${inner}`;
        const x: Json = v[i];
        if (skipped(x)) buf += 'null';
        else if (x === null || typeof x !== 'object') buf += JSON.stringify(x);
        else await walk(x, inner);
        if (buf.length >= 1 << 16) await flush();
      }
      buf += `\n${pad}]`;
      return;
    }
    const entries = Object.entries(v).filter(([, x]) => !skipped(x));
    if (entries.length === 0) {
      buf += '{}';
      return;
    }
    buf += '{';
    let first = true;
    for (const [k, x] of entries) {
      buf += `${first ? '' : ','}\n${inner}${JSON.stringify(k)}: `;
      first = false;
      await walk(x, inner);
      if (buf.length >= 1 << 16) await flush();
    }
    buf += `\n${pad}}`;
  };
  await walk(value, '');
  buf += '\n';
  await flush();
}

export async function runReconcileCommand(opts: ReconcileCommandOptions, ctx: CommandContext, apply: boolean): Promise<void> {
  const config: Config = loadConfigForCommand(opts.config);
  const target = findTarget(config, opts.target);
  let file: IndicatorsFile | undefined;
  const redis = createRedisConnection(config.redis, { lazyConnect: true });
  try {
    await redis.connect();
    if (apply && opts.indicators !== undefined && opts.ignorePin !== true) await refuseIfPinned(redis, config, target.name);
    if (opts.indicators !== undefined) {
      file = await readIndicatorsFile(opts.indicators, target);
      process.stderr.write(describeIndicatorsFile(file));
    }
    const graph = createGraphClient(target, { redis, prefix: config.redis.prefix, onThrottle: 'wait' });
    const bounded = file ? await boundedDesired(file, target, graph) : undefined;
    // Only the counts are needed from here on: let the merged store (5 bytes a range, 65 MB at 13M)
    // be collected before the planner and the output need their memory.
    const counted = file && { path: file.path, mergedBeforeNeverBlock: file.mergedBeforeNeverBlock };
    file = undefined;
    const result = await reconcileTarget({
      config,
      targetName: target.name,
      redis,
      keys: stateKeys(config.redis.prefix),
      graph,
      ...(bounded ? { desired: bounded.desired } : {}),
      manual: opts.manual === true,
      force: opts.force === true,
      dryRun: !apply,
      ...(apply ? { history: { run: newRunId('reconcile'), kind: 'reconcile' as const } } : {}),
    });
    if (counted && bounded) countOmitted(result, counted, bounded.omitted);
    if (opts.json) {
      await writeJson(process.stdout, { ...result, snapshots: result.snapshots });
    } else if (result.applied) {
      process.stdout.write(formatApplyText(result.plan, result.applied));
    } else {
      process.stdout.write(formatPlanText(result.plan));
    }
    if (!apply && result.plan.refusals.length > 0) ctx.exitCode = EXIT_FAILURE;
  } finally {
    redis.disconnect();
  }
}

export function registerPlanCommand(program: Command, ctx: CommandContext): void {
  program
    .command('plan')
    .description('show what a reconcile of one target would change in Entra (writes nothing)')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .requiredOption('-t, --target <name>', 'the target to plan')
    .option('-i, --indicators <file>', 'use this file (one indicator per line) as the only source for this run')
    .option('--manual', 'plan a manual run (honours namedLocation.clearOnManualRun)')
    .option('--json', 'print the plan as JSON')
    .action(boundedRedis((opts: ReconcileCommandOptions) => runReconcileCommand(opts, ctx, false)));
}
