/**
 * Conditional Access What If: `POST /identity/conditionalAccess/evaluate` (v1.0; least privilege
 * Policy.Read.ConditionalAccess, also allowed with Policy.Read.All or Policy.ReadWrite.ConditionalAccess).
 *
 * Request (Microsoft's reference, conditionalaccessroot-evaluate): `signInIdentity` (here always
 * `#microsoft.graph.userSignIn` with `userId`), `signInContext` (`#microsoft.graph.applicationContext`
 * with `includeApplications`), `signInConditions` (`ipAddress`, and optionally `clientAppType`,
 * `devicePlatform`, `signInRiskLevel`, `country`), `appliedPoliciesOnly` (false: every policy of the
 * tenant comes back, so the one asked about is there even when it does not apply). Response 200: a
 * collection of `whatIfAnalysisResult` (a conditionalAccessPolicy plus `policyApplies` and
 * `analysisReasons`, a flags enum: `notSet` when it applies, else e.g. `users` or `location,users`).
 * Report-only policies are evaluated.
 *
 * The request changes nothing: it is paced like every Graph call, counted as a read, and retried
 * like a GET (graph-request.ts `readOnly`).
 */
import { GraphResponseError } from './errors/graph-response-error.ts';
import type { GraphRequester } from './graph-request.ts';
import type { PolicyState, WhatIfPolicyResult, WhatIfSignIn } from './graph-types.ts';

const PATH = '/identity/conditionalAccess/evaluate';

export function toEvaluateBody(s: WhatIfSignIn): Record<string, unknown> {
  const conditions: Record<string, unknown> = { ipAddress: s.ipAddress };
  if (s.clientAppType !== undefined) conditions['clientAppType'] = s.clientAppType;
  if (s.devicePlatform !== undefined) conditions['devicePlatform'] = s.devicePlatform;
  if (s.signInRiskLevel !== undefined) conditions['signInRiskLevel'] = s.signInRiskLevel;
  if (s.country !== undefined) conditions['country'] = s.country;
  return {
    signInIdentity: { '@odata.type': '#microsoft.graph.userSignIn', userId: s.userId },
    signInContext: { '@odata.type': '#microsoft.graph.applicationContext', includeApplications: [s.applicationId] },
    signInConditions: conditions,
    appliedPoliciesOnly: false,
  };
}

function toResult(item: unknown): WhatIfPolicyResult {
  const o = item as Record<string, unknown> | null;
  if (!o || typeof o['id'] !== 'string' || typeof o['policyApplies'] !== 'boolean') {
    throw new GraphResponseError('POST', PATH, 'expected whatIfAnalysisResult items with id and policyApplies');
  }
  const reasons = typeof o['analysisReasons'] === 'string' ? o['analysisReasons'] : '';
  return {
    id: o['id'],
    displayName: typeof o['displayName'] === 'string' ? o['displayName'] : '',
    state: o['state'] as PolicyState,
    policyApplies: o['policyApplies'],
    analysisReasons: reasons
      .split(',')
      .map((r) => r.trim())
      .filter((r) => r !== ''),
  };
}

/** Every policy's answer for one sign-in (the whole collection: no paging is documented for this action). */
export async function evaluateWhatIf(req: GraphRequester, signIn: WhatIfSignIn): Promise<WhatIfPolicyResult[]> {
  const { body } = await req.request('POST', PATH, { body: toEvaluateBody(signIn), readOnly: true });
  const page = body as { value?: unknown } | undefined;
  if (!page || !Array.isArray(page.value)) throw new GraphResponseError('POST', PATH, 'expected a collection with "value"');
  return page.value.map(toResult);
}
