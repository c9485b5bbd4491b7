/**
 * IP named locations: `/identity/conditionalAccess/namedLocations`.
 *
 * Permission: Policy.Read.All (reads); Policy.Read.All and Policy.ReadWrite.ConditionalAccess
 * (writes). Responses: list 200 `{value, @odata.nextLink?}`; get 200; create 201 with the object;
 * update and delete 204. Retries and pacing: graph-request.ts (429/5xx/network; POST only after a
 * listing by name shows it did not happen).
 *
 * - list follows `@odata.nextLink` verbatim and keeps only `#microsoft.graph.ipNamedLocation`
 *   (country locations share the collection).
 * - update is a PATCH with `@odata.type` (Graph answers 1042 without it) and the FULL `ipRanges`:
 *   Graph replaces the list wholesale.
 * - delete first sets `isTrusted: false` when the location is trusted (Graph refuses to delete a
 *   trusted location) and reads until the directory agrees (consistency.ts); a DELETE refused with 400
 *   is retried with bounded backoff; deleting a location that is already gone (404) counts as done.
 * - create after an ambiguous failure (timeout, 5xx): the name is looked up several times over ~30 s
 *   (a create that has not replicated is invisible at first) before the POST is sent again; a location
 *   of that name found then (other than `ignoreIds`) is the one we created; when there are several,
 *   the one-name rule (same-name-winner.ts) picks, as the plan does.
 */
import { parseCidr } from '../ranges/index.ts';
import { GraphInputError } from './errors/graph-input-error.ts';
import { GraphNotFoundError } from './errors/graph-not-found-error.ts';
import { GraphResponseError } from './errors/graph-response-error.ts';
import { GraphValidationError } from './errors/graph-validation-error.ts';
import { retryWhileRefused, waitUntilConsistent, type WaitOptions } from './consistency.ts';
import type { GraphRequester } from './graph-request.ts';
import type { NamedLocation, NamedLocationSpec } from './graph-types.ts';
import { sameNameWinner } from './same-name-winner.ts';

export const IP_NAMED_LOCATION_TYPE = '#microsoft.graph.ipNamedLocation';
export const IPV4_RANGE_TYPE = '#microsoft.graph.iPv4CidrRange';
export const IPV6_RANGE_TYPE = '#microsoft.graph.iPv6CidrRange';
export const MAX_RANGES_PER_LOCATION = 2000;
const PATH = '/identity/conditionalAccess/namedLocations';

export interface IpRangeJson {
  '@odata.type': string;
  cidrAddress?: string;
  lowerAddress?: string;
  upperAddress?: string;
}

export interface NamedLocationJson {
  '@odata.type'?: string;
  id: string;
  displayName: string;
  ipRanges?: IpRangeJson[];
  isTrusted?: boolean;
  createdDateTime?: string;
  modifiedDateTime?: string | null;
}

export interface NamedLocationWriteJson {
  '@odata.type': typeof IP_NAMED_LOCATION_TYPE;
  displayName?: string;
  ipRanges?: IpRangeJson[];
  isTrusted?: boolean;
}

export interface CollectionJson<T> {
  value: T[];
  '@odata.nextLink'?: string;
}

export function toNamedLocation(json: NamedLocationJson): NamedLocation {
  return {
    id: json.id,
    displayName: json.displayName,
    ipRanges: (json.ipRanges ?? []).map((r) => r.cidrAddress ?? `${r.lowerAddress ?? '?'}-${r.upperAddress ?? '?'}`),
    isTrusted: json.isTrusted === true,
    createdDateTime: json.createdDateTime ?? '',
    modifiedDateTime: json.modifiedDateTime ?? null,
  };
}

/** The wire body for a spec; throws GraphInputError naming the bad range or the count. */
export function toNamedLocationJson(spec: NamedLocationSpec): NamedLocationWriteJson {
  if (spec.displayName.trim() === '') throw new GraphInputError('named location displayName is empty');
  if (spec.ipRanges.length === 0) {
    throw new GraphInputError(`named location "${spec.displayName}": ipRanges is empty (Graph requires at least one range)`);
  }
  if (spec.ipRanges.length > MAX_RANGES_PER_LOCATION) {
    throw new GraphInputError(
      `named location "${spec.displayName}": ${spec.ipRanges.length} ranges, more than Graph's ${MAX_RANGES_PER_LOCATION} per location`,
    );
  }
  const ipRanges = spec.ipRanges.map((cidr): IpRangeJson => {
    const parsed = parseCidr(cidr);
    if (!parsed) {
      throw new GraphInputError(`named location "${spec.displayName}": "${cidr}" is not a CIDR (expected address/prefix)`, { cidr });
    }
    return { '@odata.type': parsed.family === 4 ? IPV4_RANGE_TYPE : IPV6_RANGE_TYPE, cidrAddress: cidr };
  });
  return { '@odata.type': IP_NAMED_LOCATION_TYPE, displayName: spec.displayName, isTrusted: spec.isTrusted, ipRanges };
}

function asLocationJson(method: string, path: string, body: unknown): NamedLocationJson {
  const b = body as Partial<NamedLocationJson> | undefined;
  if (!b || typeof b.id !== 'string' || typeof b.displayName !== 'string') {
    throw new GraphResponseError(method, path, 'expected a named location with id and displayName');
  }
  return b as NamedLocationJson;
}

const isIp = (j: NamedLocationJson): boolean => j['@odata.type'] === IP_NAMED_LOCATION_TYPE;

export async function listNamedLocations(req: GraphRequester): Promise<NamedLocation[]> {
  const out: NamedLocation[] = [];
  let next: string | undefined = PATH;
  while (next) {
    const { body } = await req.request('GET', next);
    const page = body as Partial<CollectionJson<NamedLocationJson>> | undefined;
    if (!page || !Array.isArray(page.value)) throw new GraphResponseError('GET', PATH, 'expected a collection with "value"');
    for (const item of page.value) if (isIp(item)) out.push(toNamedLocation(asLocationJson('GET', PATH, item)));
    next = page['@odata.nextLink'];
  }
  return out;
}

/**
 * `$select` of a header listing: `id` and `displayName` only. `isTrusted`, `ipRanges` and the dates are
 * properties of the derived type (ipNamedLocation), not of the `namedLocation` collection's type.
 */
const HEADER_SELECT = 'id,displayName';

/**
 * The IP named locations called `displayName` (names are not unique in Entra), read cheaply: one
 * paged listing of headers only (`$select=id,displayName`, no ranges), then a GET of each match (which
 * also tells IP locations from country ones). Used only after an ambiguous create failure: reconcile
 * plans from its one listing under the target lock.
 */
export async function findNamedLocationsByName(req: GraphRequester, displayName: string): Promise<NamedLocation[]> {
  const ids: string[] = [];
  let next: string | undefined = `${PATH}?$select=${HEADER_SELECT}`;
  while (next) {
    const { body } = await req.request('GET', next);
    const page = body as Partial<CollectionJson<NamedLocationJson>> | undefined;
    if (!page || !Array.isArray(page.value)) throw new GraphResponseError('GET', PATH, 'expected a collection with "value"');
    for (const item of page.value) if (item.displayName === displayName && (item['@odata.type'] === undefined || isIp(item))) ids.push(item.id);
    next = page['@odata.nextLink'];
  }
  const out: NamedLocation[] = [];
  for (const id of ids) {
    const loc = await getNamedLocation(req, id);
    if (loc) out.push(loc);
  }
  return out;
}

/** null when Graph answers 404 or the object is not an IP named location. */
export async function getNamedLocation(req: GraphRequester, id: string): Promise<NamedLocation | null> {
  const path = `${PATH}/${encodeURIComponent(id)}`;
  try {
    const { body } = await req.request('GET', path);
    const json = asLocationJson('GET', path, body);
    return isIp(json) ? toNamedLocation(json) : null;
  } catch (e) {
    if (e instanceof GraphNotFoundError) return null;
    throw e;
  }
}

export interface CreateOptions {
  /** Ids of objects of the same name that existed before the POST (never taken for the created one). */
  ignoreIds?: readonly string[];
}

export async function createNamedLocation(req: GraphRequester, spec: NamedLocationSpec, options: CreateOptions = {}): Promise<NamedLocation> {
  const body = toNamedLocationJson(spec);
  const ignore = new Set((options.ignoreIds ?? []).map((x) => x.toLowerCase()));
  const recover = () =>
    req.lookupAfterAmbiguousCreate(async () => {
      const same = (await findNamedLocationsByName(req, spec.displayName)).filter((l) => !ignore.has(l.id.toLowerCase()));
      return sameNameWinner(same);
    });
  const res = await req.request('POST', PATH, { body, recover });
  if (res.recovered !== undefined) return res.recovered as NamedLocation;
  return toNamedLocation(asLocationJson('POST', PATH, res.body));
}

export async function updateNamedLocation(req: GraphRequester, id: string, spec: NamedLocationSpec): Promise<void> {
  await req.request('PATCH', `${PATH}/${encodeURIComponent(id)}`, { body: toNamedLocationJson(spec) });
}

export interface DeleteLocationOptions {
  /** The live isTrusted; undefined: read it first. */
  isTrusted?: boolean | undefined;
  /** Consistency waits (policy, observer, heartbeat, sleep). */
  wait?: WaitOptions | undefined;
}

/**
 * Delete, consistent before destructive: a trusted location is PATCHed `isTrusted: false`, then read
 * until several reads in a row agree it is untrusted (consistency.ts), then deleted. A DELETE Graph
 * refuses with 400 (still trusted or still referenced on the replica that evaluates it) is retried
 * with bounded backoff; GraphNotConsistentError when it never clears. Gone already (404) = done.
 */
export async function deleteNamedLocation(req: GraphRequester, id: string, options: DeleteLocationOptions = {}): Promise<void> {
  const path = `${PATH}/${encodeURIComponent(id)}`;
  let trusted = options.isTrusted;
  if (trusted === undefined) {
    const current = await getNamedLocation(req, id);
    if (!current) return;
    trusted = current.isTrusted;
  }
  let untrusted = false;
  let deleted = false;
  const untrust = async () => {
    const body: NamedLocationWriteJson = { '@odata.type': IP_NAMED_LOCATION_TYPE, isTrusted: false };
    await req.request('PATCH', path, { body });
    untrusted = true;
    await waitUntilConsistent(
      `named location ${id} to read isTrusted: false`,
      async () => {
        const l = await getNamedLocation(req, id);
        return !l || !l.isTrusted ? true : 'isTrusted: true';
      },
      options.wait,
    );
  };
  if (trusted) await untrust();
  await retryWhileRefused(
    `Graph to accept deleting named location ${id} (refused while trusted or referenced)`,
    async () => {
      try {
        await req.request('DELETE', path);
      } catch (e) {
        if (e instanceof GraphNotFoundError) {
          deleted = true;
          return;
        }
        // The isTrusted we were given may come from a stale read (a trust set moments ago): Graph's
        // refusal does not say which precondition failed, so un-trust once (harmless on a location
        // about to go) before trying again.
        if (e instanceof GraphValidationError && !untrusted) await untrust();
        throw e;
      }
    },
    (e) => e instanceof GraphValidationError,
    options.wait,
  );
  if (deleted) return;
  // After a delete Graph answers a mixture of 200 and 404 until it has replicated: read until the
  // location is gone in several reads in a row, so the next run's listing does not plan on a ghost.
  await waitUntilConsistent(`named location ${id} to read as deleted (404)`, async () => ((await getNamedLocation(req, id)) ? 'still there' : true), options.wait);
}
