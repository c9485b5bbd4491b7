/**
 * Conditional access policies: `/identity/conditionalAccess/policies` (v1.0 only: a policy touched
 * through beta can no longer be read or written through v1.0).
 *
 * Permission: Policy.Read.All (reads); Policy.Read.All and Policy.ReadWrite.ConditionalAccess
 * (writes). Responses: list 200 `{value, @odata.nextLink?}`; get 200; create 201 with the object
 * (Graph fills defaults: absent arrays `[]`, absent objects `null`); update and delete 204.
 * Retries and pacing: graph-request.ts. A 400 `1040: NamedLocation with id … does not exist` right
 * after a location was created is a replication delay and is retried with bounded backoff there.
 *
 * - create and update send the managed body (`PolicyBody`) in full; fields it leaves undefined are
 *   not sent, so Graph keeps their values (users not managed by the configuration, for instance).
 * - Keywords come back exactly as sent; compare with graph-compare.ts, never with `===`.
 * - setPolicyState sends `{state}` alone (the kill switch: one PATCH, nothing else touched).
 * - delete of a policy that is already gone (404) counts as done.
 */
import { GraphNotFoundError } from './errors/graph-not-found-error.ts';
import { GraphResponseError } from './errors/graph-response-error.ts';
import type { GraphRequester } from './graph-request.ts';
import type { ConditionalAccessPolicy, PolicyBody, PolicyState, PolicyUsers } from './graph-types.ts';
import type { CollectionJson } from './named-locations.ts';
import { waitUntilConsistent, type WaitOptions } from './consistency.ts';
import { sameNameWinner } from './same-name-winner.ts';

const PATH = '/identity/conditionalAccess/policies';

export interface PolicyJson {
  id: string;
  displayName: string;
  state: string;
  createdDateTime?: string | null;
  modifiedDateTime?: string | null;
  conditions?: {
    clientAppTypes?: string[];
    signInRiskLevels?: string[];
    applications?: { includeApplications?: string[]; excludeApplications?: string[] } | null;
    users?: Partial<Record<keyof PolicyUsers, string[]>> | null;
    platforms?: { includePlatforms?: string[]; excludePlatforms?: string[] } | null;
    locations?: { includeLocations?: string[]; excludeLocations?: string[] } | null;
    [key: string]: unknown;
  };
  grantControls?: { operator?: string | null; builtInControls?: string[] } | null;
  sessionControls?: Record<string, unknown> | null;
}

const arr = (v: string[] | undefined | null): string[] => (Array.isArray(v) ? [...v] : []);

export function toConditionalAccessPolicy(json: PolicyJson): ConditionalAccessPolicy {
  const c = json.conditions ?? {};
  const u = c.users;
  return {
    id: json.id,
    displayName: json.displayName,
    state: json.state as PolicyState,
    createdDateTime: json.createdDateTime ?? '',
    modifiedDateTime: json.modifiedDateTime ?? null,
    conditions: {
      clientAppTypes: arr(c.clientAppTypes),
      signInRiskLevels: arr(c.signInRiskLevels),
      applications: {
        includeApplications: arr(c.applications?.includeApplications),
        excludeApplications: arr(c.applications?.excludeApplications),
      },
      users: u
        ? {
            includeUsers: arr(u.includeUsers),
            excludeUsers: arr(u.excludeUsers),
            includeGroups: arr(u.includeGroups),
            excludeGroups: arr(u.excludeGroups),
            includeRoles: arr(u.includeRoles),
            excludeRoles: arr(u.excludeRoles),
          }
        : null,
      platforms: c.platforms ? { includePlatforms: arr(c.platforms.includePlatforms), excludePlatforms: arr(c.platforms.excludePlatforms) } : null,
      locations: c.locations ? { includeLocations: arr(c.locations.includeLocations), excludeLocations: arr(c.locations.excludeLocations) } : null,
    },
    grantControls: json.grantControls
      ? { operator: json.grantControls.operator ?? '', builtInControls: arr(json.grantControls.builtInControls) }
      : null,
  };
}

/** The wire body: the managed fields, undefined ones left out. */
export function toPolicyJson(body: PolicyBody): Record<string, unknown> {
  const conditions: Record<string, unknown> = {
    clientAppTypes: [...body.conditions.clientAppTypes],
    signInRiskLevels: [...body.conditions.signInRiskLevels],
    applications: {
      includeApplications: [...body.conditions.applications.includeApplications],
      excludeApplications: [...body.conditions.applications.excludeApplications],
    },
    locations: {
      includeLocations: [...body.conditions.locations.includeLocations],
      excludeLocations: [...body.conditions.locations.excludeLocations],
    },
  };
  if (body.conditions.users !== undefined) conditions['users'] = { ...body.conditions.users };
  if (body.conditions.platforms !== undefined) conditions['platforms'] = body.conditions.platforms;
  return {
    displayName: body.displayName,
    state: body.state,
    conditions,
    grantControls: { operator: body.grantControls.operator, builtInControls: [...body.grantControls.builtInControls] },
  };
}

function asPolicyJson(method: string, path: string, body: unknown): PolicyJson {
  const b = body as Partial<PolicyJson> | undefined;
  if (!b || typeof b.id !== 'string' || typeof b.displayName !== 'string') {
    throw new GraphResponseError(method, path, 'expected a conditional access policy with id and displayName');
  }
  return b as PolicyJson;
}

export async function listPolicies(req: GraphRequester): Promise<ConditionalAccessPolicy[]> {
  const out: ConditionalAccessPolicy[] = [];
  let next: string | undefined = PATH;
  while (next) {
    const { body } = await req.request('GET', next);
    const page = body as Partial<CollectionJson<PolicyJson>> | undefined;
    if (!page || !Array.isArray(page.value)) throw new GraphResponseError('GET', PATH, 'expected a collection with "value"');
    for (const item of page.value) out.push(toConditionalAccessPolicy(asPolicyJson('GET', PATH, item)));
    next = page['@odata.nextLink'];
  }
  return out;
}

export async function getPolicy(req: GraphRequester, id: string): Promise<ConditionalAccessPolicy | null> {
  const path = `${PATH}/${encodeURIComponent(id)}`;
  try {
    const { body } = await req.request('GET', path);
    return toConditionalAccessPolicy(asPolicyJson('GET', path, body));
  } catch (e) {
    if (e instanceof GraphNotFoundError) return null;
    throw e;
  }
}

/**
 * Create. After an ambiguous failure the policies are listed by name several times over ~30 s before
 * the POST is sent again (graph-request.ts `lookupAfterAmbiguousCreate`); a policy of that name other
 * than `ignoreIds` (those that existed before, e.g. the one a deleteExisting run replaces) is ours;
 * when there are several, the one-name rule (same-name-winner.ts) picks, as the plan does.
 */
export async function createPolicy(req: GraphRequester, body: PolicyBody, options: { ignoreIds?: readonly string[] } = {}): Promise<ConditionalAccessPolicy> {
  const ignore = new Set((options.ignoreIds ?? []).map((x) => x.toLowerCase()));
  const recover = () =>
    req.lookupAfterAmbiguousCreate(async () => {
      const same = (await listPolicies(req)).filter((p) => p.displayName === body.displayName && !ignore.has(p.id.toLowerCase()));
      return sameNameWinner(same);
    });
  const res = await req.request('POST', PATH, { body: toPolicyJson(body), recover });
  if (res.recovered !== undefined) return res.recovered as ConditionalAccessPolicy;
  return toConditionalAccessPolicy(asPolicyJson('POST', PATH, res.body));
}

/** Read a new policy until several reads in a row return it, so the next run's listing cannot miss it and create another. */
export async function waitPolicyVisible(req: GraphRequester, policyId: string, wait?: WaitOptions): Promise<void> {
  await waitUntilConsistent(`new policy ${policyId} to be readable`, async () => ((await getPolicy(req, policyId)) ? true : 'not found (404)'), wait);
}

/** Read a deleted policy until several reads in a row answer 404 (bounded), so no later listing plans on it. */
export async function waitPolicyGone(req: GraphRequester, policyId: string, wait?: WaitOptions): Promise<void> {
  await waitUntilConsistent(`policy ${policyId} to read as deleted (404)`, async () => ((await getPolicy(req, policyId)) ? 'still there' : true), wait);
}

/**
 * Consistent before destructive: read the policy until several reads in a row show it references
 * none of `locationIds` (or is gone: 404), so the locations can be deleted. Bounded; reported.
 */
export async function waitPolicyReleases(req: GraphRequester, policyId: string, locationIds: readonly string[], wait?: WaitOptions): Promise<void> {
  const ids = new Set(locationIds.map((x) => x.toLowerCase()));
  await waitUntilConsistent(
    `policy ${policyId} to no longer reference ${locationIds.length === 1 ? `named location ${locationIds[0]}` : `${locationIds.length} named locations`} (or to be gone)`,
    async () => {
      const p = await getPolicy(req, policyId);
      if (!p) return true;
      const l = p.conditions.locations;
      const still = [...(l?.includeLocations ?? []), ...(l?.excludeLocations ?? [])].filter((x) => ids.has(x.toLowerCase()));
      return still.length === 0 ? true : `still references ${still.join(', ')}`;
    },
    wait,
  );
}

export async function updatePolicy(req: GraphRequester, id: string, body: PolicyBody): Promise<void> {
  await req.request('PATCH', `${PATH}/${encodeURIComponent(id)}`, { body: toPolicyJson(body) });
}

/** PATCH only the policy's `state` (the kill switch): one request; Graph keeps every other field. */
export async function setPolicyState(req: GraphRequester, id: string, state: PolicyState): Promise<void> {
  await req.request('PATCH', `${PATH}/${encodeURIComponent(id)}`, { body: { state } });
}

export async function deletePolicy(req: GraphRequester, id: string): Promise<void> {
  try {
    await req.request('DELETE', `${PATH}/${encodeURIComponent(id)}`);
  } catch (e) {
    if (e instanceof GraphNotFoundError) return;
    throw e;
  }
}
