/**
 * `POST /v1.0/identity/conditionalAccess/evaluate` (Conditional Access What If, v1.0): 200 with
 * `{"@odata.context": …#Collection(microsoft.graph.whatIfAnalysisResult), "value": [...]}`, one item
 * per policy of the tenant (as a read sees it, replicated state) — the policy as GET returns it plus
 * `policyApplies` and `analysisReasons`; with `appliedPoliciesOnly: true` only those that apply. Needs
 * a read permission (Policy.Read.ConditionalAccess, Policy.Read.All or Policy.ReadWrite.ConditionalAccess),
 * checked by the core. Request rules: what-if-request.ts; evaluation: what-if-evaluate.ts. A user the
 * tenant's seeded directory does not hold is refused (400; EMULATOR: Microsoft's answer for an unknown
 * user is undocumented, refusing is the stricter reading).
 */
import { badRequest, graphError, type EmulatorResponse } from './emulator-http.ts';
import { echoPolicy } from './policy-shape.ts';
import { ReplicatedView } from './replication.ts';
import type { ResourceContext } from './resource-routes.ts';
import { evaluatePolicy, type EmulatorDirectory } from './what-if-evaluate.ts';
import { parseWhatIfRequest } from './what-if-request.ts';

export function handleEvaluate(method: string, body: unknown, ctx: ResourceContext, directory: EmulatorDirectory): EmulatorResponse {
  if (method !== 'POST') return graphError(405, 'BadRequest', `EMULATOR: ${method} is not supported on evaluate (POST only)`);
  const q = parseWhatIfRequest(body, ctx.evolvable);
  if ('status' in q) return q;
  if (!directory.users.has(q.userId)) return badRequest(`EMULATOR: evaluate: no user with id ${q.userId} in the directory (seed it: POST /__emulator/seed {"directory": {"users": [...]}})`);
  const view = new ReplicatedView(ctx.store, ctx.cfg, ctx.now);
  const locations = view.list('namedLocations');
  const wctx = { directory, location: (id: string) => view.read('namedLocations', id.toLowerCase()), locations: () => locations };
  const value = view
    .list('policies')
    .map((p) => ({ ...echoPolicy(p, ctx.evolvable), ...evaluatePolicy(p, q, wctx) }))
    .filter((r) => !q.appliedPoliciesOnly || r.policyApplies);
  return { status: 200, body: { '@odata.context': `${ctx.url.origin}/v1.0/$metadata#Collection(microsoft.graph.whatIfAnalysisResult)`, value } };
}
