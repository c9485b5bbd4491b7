/**
 * `tq-entra report --config F [--run ID | --target T] [--json]`: what the last runs did.
 *   --run ID     one run: counts, rejections per reason with examples, error if it failed; a collect
 *                run also what the source filtered out by reason and the whitelist it committed, a
 *                reconcile run the whitelist it subtracted
 *   --target T   the last reconcile of T and the last run of every source collection feeding it
 *   (neither)    the last run of every source collection and every target
 * A reconcile run names the ranges it left in removal grace (the first 20, soonest expiry first, with
 * their expiry; counts inGrace and graceExpired). Without --run, every ThreatQ source listed with
 * `writeBack` also shows its last write-back to ThreatQ (one per source, all its collections: status,
 * time, counts, error).
 * Values taken from input (rejection examples, error messages) are escaped with printableText, the one
 * escape `ranges merge` and `plan --indicators` use too.
 */
import type { Command } from 'commander';
import { boundedRedis, createRedisConnection, type RedisClient } from '../redis/redis-connection.ts';
import { UsageError } from '../errors/sync-error.ts';
import { printableText } from '../ranges/index.ts';
import { stateKeys, type StateKeys } from '../state/redis-keys.ts';
import { lastRunId, runReport, type RunRecord, type RunReport } from '../pipeline/run-store.ts';
import { collectionsOf, feedersOf } from '../config/collections.ts';
import { findTarget } from '../config/find-target.ts';
import type { Config } from '../config/schema.ts';
import { readWriteBackRun, type WriteBackRunSummary } from '../state/writeback-store.ts';
import { loadConfigForCommand } from './load-for-command.ts';
import type { CommandContext } from './command-context.ts';

/**
 * `CODE: message`, once: the workers store the message already prefixed with its code
 * (`ERR_SAFETY_EMPTY: refusing …`), older records and other writers without it. Escaped: a message may
 * quote input.
 */
function errorText(error: { code: string; message: string }): string {
  const message = error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message;
  return printableText(`${error.code}: ${message}`, 2000);
}

/** A reconcile run's ranges in removal grace, with their expiry (record-reconcile.ts keeps the first 20). */
function graceLines(run: RunRecord): string[] {
  const n = run.counts['inGrace'] ?? 0;
  const grace = run.details?.['grace'] as { held?: { cidr: string; expiresAt: string }[] } | undefined;
  if (run.kind !== 'reconcile' || n === 0 || !Array.isArray(grace?.held)) return [];
  const shown = grace.held.map((h) => `    ${printableText(h.cidr, 60)}  expires ${printableText(h.expiresAt, 40)}`);
  return [`  in removal grace: ${n} range(s), still blocked until their grace ends:`, ...shown, ...(n > shown.length ? [`    … and ${n - shown.length} more`] : [])];
}

export function formatRunReport(r: RunReport): string {
  const { run } = r;
  const what = run.kind === 'collect' ? `collect ${run.name} / ${run.collection ?? ''}` : `reconcile ${run.name}`;
  const lines = [`${what}  run ${run.id}  ${run.status}  started ${run.startedAt}${run.finishedAt ? `  finished ${run.finishedAt}` : ''}`];
  const counts = Object.entries(run.counts).map(([k, v]) => `${k}=${v}`).join(' ');
  if (counts) lines.push(`  ${counts}`);
  if (run.error) lines.push(`  error: ${errorText(run.error)}`);
  const rej = r.rejections;
  if (rej) {
    const reasons = Object.entries(rej.reasons).sort((a, b) => b[1] - a[1]);
    if (reasons.length > 0) lines.push('  rejected by reason:');
    for (const [reason, n] of reasons) {
      const ex = (rej.examples[reason] ?? []).map((e) => `#${e.line} "${printableText(e.value, 80)}"`).join(', ');
      lines.push(`    ${reason.padEnd(22)} ${String(n).padStart(8)}${ex ? `  e.g. ${ex}` : ''}`);
    }
    const warnings = Object.entries(rej.warnings);
    if (warnings.length > 0) lines.push(`  warnings: ${warnings.map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  lines.push(...graceLines(run), ...filteredLines(run), ...whitelistLines(run));
  return lines.join('\n');
}

function countsOf(value: unknown): [string, number][] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number');
}

/** A collect run: what the source filtered out (type/status, score and age thresholds), by reason. */
function filteredLines(run: RunRecord): string[] {
  const filtered = countsOf(run.details?.['filtered']).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (filtered.length === 0) return [];
  return ['  filtered out by reason:', ...filtered.map(([reason, n]) => `    ${printableText(reason, 60).padEnd(22)} ${String(n).padStart(8)}`)];
}

/** ThreatQ's whitelist: what a collect run committed, what a reconcile subtracted. */
function whitelistLines(run: RunRecord): string[] {
  const d = run.details ?? {};
  if (run.kind === 'collect' && typeof d['whitelisted'] === 'number') {
    const refused = countsOf(d['whitelistRejected']).map(([k, v]) => `${k}=${v}`).join(' ');
    return [`  whitelist: ${d['whitelisted']} entries -> ${String(d['whitelistRanges'] ?? 0)} ranges committed${refused ? ` (refused: ${refused})` : ''}`];
  }
  const held = run.counts['whitelistRanges'];
  if (run.kind !== 'reconcile' || held === undefined) return [];
  const from = Array.isArray(d['whitelist']) ? (d['whitelist'] as { label?: unknown; ranges?: unknown }[]) : [];
  const each = from.map((w) => `${printableText(String(w.label), 80)} ${typeof w.ranges === 'number' ? w.ranges : 'none committed yet'}`).join(', ');
  return [`  whitelist: held ${held} ranges, cut ${run.counts['whitelistCut'] ?? 0} desired ranges${each ? ` (${each})` : ''}`];
}

interface WriteBackReport {
  source: string;
  last: WriteBackRunSummary | undefined;
}

/** The last write-back of every listed collection's source that has `writeBack` (one per source: it covers all its collections). */
async function writeBackReports(redis: RedisClient, keys: StateKeys, config: Config, feeders: readonly { source: string; collection: string }[]): Promise<WriteBackReport[]> {
  const out: WriteBackReport[] = [];
  for (const source of new Set(feeders.map((f) => f.source))) {
    const s = config.sources.find((x) => x.name === source);
    if (s?.kind !== 'threatq' || s.writeBack === undefined) continue;
    out.push({ source, last: await readWriteBackRun(redis, keys, source) });
  }
  return out;
}

function formatWriteBack(w: WriteBackReport): string {
  const head = `write-back ${printableText(w.source, 80)}`;
  if (w.last === undefined) return `${head}: no run yet`;
  const counts = Object.entries(w.last.counts).map(([k, v]) => `${k}=${v}`).join(' ');
  const error = w.last.error ? `\n  ${errorText(w.last.error)}` : '';
  return `${head}: ${w.last.status} at ${printableText(w.last.finishedAt, 40)}${counts ? `\n  ${counts}` : ''}${error}`;
}

export function registerReportCommand(program: Command, ctx: CommandContext): void {
  program
    .command('report')
    .description('show what runs did: counts, rejections by reason with examples, the last run of each source and target')
    .option('-c, --config <file>', 'configuration file (default: $TQ_ENTRA_CONFIG)')
    .option('--run <id>', 'one run')
    .option('-t, --target <name>', 'the last reconcile of this target and the last run of each collection feeding it')
    .option('--json', 'machine-readable output')
    .action(boundedRedis(async (opts: { config?: string; run?: string; target?: string; json?: boolean }) => {
      if (opts.run !== undefined && opts.target !== undefined) throw new UsageError('give at most one of --run and --target');
      const config = loadConfigForCommand(opts.config);
      const redis = createRedisConnection(config.redis);
      const keys = stateKeys(config.redis.prefix);
      try {
        const reports: RunReport[] = [];
        const missing: string[] = [];
        const writeBacks: WriteBackReport[] = [];
        const add = async (id: string | null, label: string) => {
          const r = id === null ? null : await runReport(redis, keys, id);
          if (r) reports.push(r);
          else missing.push(label);
        };
        if (opts.run !== undefined) {
          await add(opts.run, `run ${opts.run}`);
        } else {
          const targets = opts.target !== undefined ? [findTarget(config, opts.target).name] : config.targets.map((t) => t.name);
          const feeders =
            opts.target !== undefined
              ? feedersOf(config, opts.target)
              : config.sources.flatMap((s) => collectionsOf(s).map((c) => ({ source: s.name, collection: c.id })));
          for (const f of feeders) await add(await lastRunId(redis, keys, 'source', `${f.source}/${f.collection}`), `collect ${f.source} / ${f.collection}: no run yet`);
          for (const t of targets) await add(await lastRunId(redis, keys, 'target', t), `reconcile ${t}: no run yet`);
          writeBacks.push(...(await writeBackReports(redis, keys, config, feeders)));
        }
        if (opts.json) process.stdout.write(`${JSON.stringify({ runs: reports, missing, writeBacks }, null, 2)}\n`);
        else process.stdout.write(`${[...reports.map(formatRunReport), ...missing, ...writeBacks.map(formatWriteBack)].join('\n\n')}\n`);
        if (opts.run !== undefined && reports.length === 0) ctx.exitCode = 1;
      } finally {
        redis.disconnect();
      }
    }));
}
