/**
 * Benchmark of the pure reconcile plan (target: planning 390,000 ranges = 195 × 2000 in ≤ 1 s).
 * Scenarios: a fresh tenant (every shard created), a steady state with no change (zero writes), and a
 * 1 % churn (ranges removed and added across shards). Prints one line per scenario with the median
 * of 5 runs, wall clock and CPU time (on a busy machine CPU time is the fairer figure). Run: `npx tsx bench/plan.ts` (npm run bench:plan).
 */
import { cpus, loadavg } from 'node:os';
import { targetSchema, type TargetConfig } from '../src/config/schema.ts';
import { planReconcile } from '../src/reconcile/plan.ts';
import type { DesiredRange, LiveLocation, PlanInput } from '../src/reconcile/plan-types.ts';
import { buildPolicyBody } from '../src/reconcile/policy-body.ts';
import { shardName } from '../src/config/location-names.ts';
import type { ConditionalAccessPolicy } from '../src/graph/graph-types.ts';

const TENANT = '11111111-2222-3333-4444-555555555555';
const SHARDS = 195;
const PER = 2000;
const TOTAL = SHARDS * PER;

const target = targetSchema.parse({
  name: 'bench',
  tenantId: TENANT,
  clientId: '66666666-7777-8888-9999-000000000000',
  clientSecret: 's',
  namedLocation: { name: 'TQ Block', maxLocations: SHARDS, maxRangesPerLocation: PER },
  policy: { name: 'TQ Block' },
  safety: { maxRemovalFraction: 1 },
}) as TargetConfig;

/** Distinct, never-adjacent public /32s: 11.x.y.7, 12.x.y.7, … */
function host(i: number): string {
  return `${11 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}.7/32`;
}

function ranges(from: number, n: number): DesiredRange[] {
  const out: DesiredRange[] = [];
  for (let i = from; i < from + n; i += 1) out.push({ cidr: host(i), weight: i % 1000, sources: ['tq/bench'] });
  return out;
}

function liveFor(desired: readonly DesiredRange[]): LiveLocation[] {
  const out: LiveLocation[] = [];
  for (let s = 0; s < SHARDS; s += 1) {
    out.push({
      id: `loc-${s}`,
      displayName: shardName('TQ Block', s + 1),
      ranges: desired.slice(s * PER, (s + 1) * PER).map((d) => d.cidr),
      isTrusted: false,
      createdDateTime: '2024-01-01T00:00:00Z',
      modifiedDateTime: null,
    });
  }
  return out;
}

function time(label: string, input: PlanInput): void {
  const wall: number[] = [];
  const cpu: number[] = [];
  let writes = 0;
  for (let k = 0; k < 5; k += 1) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const plan = planReconcile(input);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    writes = plan.summary.writes;
    if (plan.refusals.length > 0) throw new Error(`unexpected refusal: ${plan.refusals[0]?.message}`);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2] ?? 0;
  const w = median(wall);
  const c = median(cpu);
  console.log(
    `${label.padEnd(44)} ${String(input.desired.length).padStart(7)} ranges  wall ${w.toFixed(0).padStart(5)} ms  cpu ${c.toFixed(0).padStart(5)} ms  ` +
      `writes ${String(writes).padStart(3)}  ${w <= 1000 ? 'OK (<= 1 s)' : 'over 1 s'}`,
  );
}

const desired = ranges(0, TOTAL);
if (new Set(desired.map((d) => d.cidr)).size !== TOTAL) throw new Error('bench ranges are not distinct');
const base = { target, manual: false, force: false, tokenTenantId: TENANT } as const;
const live = liveFor(desired);
const owned = new Set(desired.map((d) => d.cidr));
const body = buildPolicyBody(target.policy, live.map((l) => l.id), undefined);
const policy: ConditionalAccessPolicy = {
  id: 'pol-1',
  displayName: body.displayName,
  state: body.state,
  createdDateTime: '2024-01-01T00:00:00Z',
  modifiedDateTime: null,
  conditions: {
    clientAppTypes: body.conditions.clientAppTypes,
    signInRiskLevels: body.conditions.signInRiskLevels,
    applications: body.conditions.applications,
    users: { includeUsers: ['None'], excludeUsers: [], includeGroups: [], excludeGroups: [], includeRoles: [], excludeRoles: [] },
    platforms: null,
    locations: body.conditions.locations,
  },
  grantControls: body.grantControls,
};
const policies = [policy];

console.log(`planReconcile, ${SHARDS} shards x ${PER} ranges, median of 5 (node ${process.version}, load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs)`);
time('fresh tenant (all shards created)', { ...base, desired, live: { locations: [], policies: [] }, owned: new Set() });
time('steady state (no change)', { ...base, desired, live: { locations: live, policies }, owned });
const churn = [...desired.filter((_, i) => i % 100 !== 0), ...ranges(TOTAL, TOTAL / 100)];
time('1 % churn (3,900 removed, 3,900 added)', { ...base, desired: churn, live: { locations: live, policies }, owned });
const over = ranges(0, TOTAL * 2);
time('over capacity (780,000 desired, half kept)', { ...base, desired: over, live: { locations: live, policies }, owned });
