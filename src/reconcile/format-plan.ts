/**
 * Human-readable text of a plan and of what apply did (CLI `plan` and `apply`). Range lists are cut
 * at `maxRanges` per location, and so is the list of ranges in removal grace (soonest expiry first,
 * each with its expiry); the JSON output has them all. An engaged kill switch is named under the
 * policy: `disabled by kill switch (who, when, why)`.
 */
import type { ApplyResult } from './apply.ts';
import type { Plan } from './plan-types.ts';
import type { KillSwitch } from '../state/kill-switch-store.ts';
import { isLocationRef } from './location-ref.ts';

/** A location list entry: a live id (or LocationRef) by its location's name, a shard the plan creates as `<new shard N>`. */
function locationText(x: unknown, names: Map<string, string>): string {
  if (!isLocationRef(x)) return names.get(String(x).toLowerCase()) ?? String(x);
  switch (x.kind) {
    case 'existing':
      return names.get(x.id.toLowerCase()) ?? x.id;
    case 'shard':
      return `<new shard ${x.shard}>`;
    default: {
      const never: never = x;
      throw new Error(`unhandled location reference ${JSON.stringify(never)}`);
    }
  }
}

function listIds(v: unknown, names: Map<string, string>): string {
  if (!Array.isArray(v)) return JSON.stringify(v);
  return `[${v.map((x) => locationText(x, names)).join(', ')}]`;
}

export function formatPlanText(plan: Plan, options: { maxRanges?: number } = {}): string {
  const max = options.maxRanges ?? 50;
  const s = plan.summary;
  const out: string[] = [];
  out.push(
    `Target "${plan.target}" (${s.mode}): ${s.desired} desired, ${s.liveRanges} live -> ${s.finalRanges} after ` +
      `(+${s.added} -${s.removed}, ${s.kept} kept as not ours), ${s.writes} Graph write(s)`,
  );
  const names = new Map<string, string>();
  for (const l of plan.locations) if (l.id) names.set(l.id.toLowerCase(), `"${l.displayName}"`);
  out.push('Named locations:');
  if (plan.locations.length === 0) out.push('  (none)');
  for (const l of plan.locations) {
    const id = l.id ? ` (${l.id})` : '';
    const delta = l.action === 'unchanged' ? '' : ` +${l.added.length} -${l.removed.length}`;
    out.push(`  ${l.action.padEnd(9)} "${l.displayName}"${id}${delta} -> ${l.action === 'delete' ? 0 : l.size} range(s)`);
    if (l.action === 'unchanged') continue;
    const lines = [...l.added.map((r) => `      + ${r}`), ...l.removed.map((r) => `      - ${r}`)];
    out.push(...lines.slice(0, max));
    if (lines.length > max) out.push(`      … and ${lines.length - max} more (use --json for all)`);
  }
  const p = plan.policy;
  out.push(`Policy: ${p.action}${p.id ? ` (${p.id})` : ''}`);
  if (p.killSwitch) out.push(`  ${killSwitchText(p.killSwitch)}`);
  for (const c of p.changes) {
    const isList = Array.isArray(c.from) || Array.isArray(c.to);
    const from = isList ? listIds(c.from, names) : JSON.stringify(c.from);
    const to = isList ? listIds(c.to, names) : JSON.stringify(c.to);
    out.push(`  ${c.field}: ${from} -> ${to}`);
  }
  if (plan.steps.length > 0) {
    out.push('Steps:');
    plan.steps.forEach((st, i) => out.push(`  ${i + 1}. ${st.kind} "${st.displayName}"`));
  }
  const o = plan.overflow;
  if (o.total > 0) {
    const by = Object.entries(o.bySource)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
    out.push(`Overflow: ${o.total} range(s) left out (capacity ${o.capacity}); by source: ${by}`);
  }
  out.push(...graceLines(plan, max));
  const whatIf = plan.whatIf;
  if (whatIf) {
    const when = plan.policy.enforcement === 'enables' ? 'before the policy is enabled (written report-only until they pass)' : 'after apply (a surprise alerts, disables nothing)';
    const s = whatIf.signIn;
    out.push(`What If: ${whatIf.checks.length} evaluation(s) ${when}; sign-in: app ${s.applicationId}, ${s.clientAppType}, ${s.devicePlatform}`);
  }
  for (const w of plan.warnings) out.push(`Warning: ${w}`);
  for (const r of plan.refusals) out.push(`Refused: ${r.code}: ${r.message}`);
  return `${out.join('\n')}\n`;
}

/** `disabled by kill switch (who, when, why)`: the state an engaged kill switch holds the policy in. */
export function killSwitchText(ks: KillSwitch): string {
  const how = ks.state === 'disabled' ? 'disabled' : 'held report-only';
  return `${how} by kill switch (${ks.by}, ${ks.at || 'time unknown'}, ${JSON.stringify(ks.reason)}); \`tq-entra enable\` restores the configured state`;
}

/** `12h`, `90m`, `45s`: the removal grace as configured would be written. */
function graceText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** The ranges held in removal grace (with their expiry) and those whose grace ran out. */
function graceLines(plan: Plan, max: number): string[] {
  const g = plan.grace;
  const out: string[] = [];
  if (g.held.length > 0) {
    out.push(`In removal grace (${graceText(g.graceMs)}): ${g.held.length} range(s) left the feed and stay blocked until their grace ends`);
    out.push(...g.held.slice(0, max).map((h) => `      ${h.cidr}  expires ${h.expiresAt}`));
    if (g.held.length > max) out.push(`      … and ${g.held.length - max} more (use --json for all)`);
  }
  if (g.expired.length > 0) out.push(`Removal grace ended: ${g.expired.length} range(s) removed by this plan`);
  if (g.neverBlocked.length > 0) out.push(`No removal grace for ${g.neverBlocked.length} range(s) overlapping the never-block list: removed by this plan`);
  return out;
}

export function formatApplyText(plan: Plan, applied: ApplyResult): string {
  const out: string[] = [];
  out.push(`Applied to target "${plan.target}": ${applied.steps.length} step(s), ${applied.graphWrites} Graph write request(s)`);
  if (applied.steps.length === 0) out.push('  nothing to change');
  for (const st of applied.steps) {
    const counts = st.added !== undefined || st.removed !== undefined ? ` +${st.added ?? 0} -${st.removed ?? 0}` : '';
    const note = st.outcome === 'done' ? '' : ` (${st.outcome})`;
    out.push(`  ${st.kind} "${st.displayName}" ${st.id}${counts}${note}`);
  }
  if (plan.policy.killSwitch) out.push(`Policy ${killSwitchText(plan.policy.killSwitch)}`);
  if (plan.overflow.total > 0) out.push(`Overflow: ${plan.overflow.total} range(s) left out (capacity ${plan.overflow.capacity})`);
  if (plan.grace.held.length > 0) out.push(`In removal grace: ${plan.grace.held.length} range(s), first to expire ${plan.grace.held[0]?.cidr} at ${plan.grace.held[0]?.expiresAt}`);
  for (const w of plan.warnings) out.push(`Warning: ${w}`);
  return `${out.join('\n')}\n`;
}
