/**
 * The configuration contract: one YAML file, validated once at start-up into a frozen, typed Config.
 * Every key, its default and its meaning is documented in config/example.yaml; keep the two in step.
 * Unknown keys are rejected everywhere (strict objects). Enum values are exact: Graph is case-sensitive.
 */
import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import {
  DEFAULT_MIN_PREFIX_V4,
  DEFAULT_MIN_PREFIX_V6,
  DEFAULT_WARN_BROADER_THAN_V4,
  DEFAULT_WARN_BROADER_THAN_V6,
  GRAPH_MIN_PREFIX,
  INDICATOR_TYPES,
  normalizeCidr,
} from '../ranges/index.ts';
import { paceAboveMicrosoftLimit } from './microsoft-clouds.ts';
import { ownershipCollisions } from './target-collisions.ts';

export const POLICY_STATES = ['enabled', 'disabled', 'enabledForReportingButNotEnforced'] as const;
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export const APP_INCLUDE = ['All', 'Office365', 'MicrosoftAdminPortals'] as const;
export const APP_EXCLUDE = ['Office365', 'MicrosoftAdminPortals'] as const;
export const CLIENT_APP_TYPES = ['all', 'browser', 'mobileAppsAndDesktopClients', 'exchangeActiveSync', 'other'] as const;
export const PLATFORMS = ['all', 'android', 'iOS', 'windows', 'windowsPhone', 'macOS', 'linux'] as const;

/**
 * Number and boolean keys also accept their value as text, so that `${NAME}` (always text after
 * interpolation) works for them: "5" → 5, "true" → true. Anything else is left for the schema to refuse.
 */
function numeric<T extends z.ZodType>(schema: T) {
  return z.preprocess((v) => (typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v), schema);
}
const bool = () => z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean());

const name = z.string().trim().min(1, 'expected a non-empty string');
const url = z.url({ message: 'expected an absolute URL' });
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export function isGuid(v: string): boolean {
  return GUID.test(v);
}
/** A value quoted for a message, cut when long. */
function quote(v: string): string {
  return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
}
const guid = z.string().superRefine((v, ctx) => {
  if (!isGuid(v)) ctx.addIssue({ code: 'custom', message: `expected a GUID such as 00000000-0000-0000-0000-000000000000, got ${quote(v)}` });
});

/**
 * Sign-in aliases of the Microsoft identity platform: they name no tenant (a client-credentials token
 * for them fails, or lands in whichever tenant the app lives in), so they are refused as tenantId.
 */
export const TENANT_ALIASES = ['common', 'organizations', 'consumers'] as const;
/** A DNS name with at least two labels, e.g. contoso.onmicrosoft.com or contoso.com. */
const DOMAIN = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/i;
/** tenantId: the tenant's GUID or one of its verified domain names; never a multi-tenant alias. */
const tenantId = z.string().superRefine((v, ctx) => {
  const t = v.trim();
  if ((TENANT_ALIASES as readonly string[]).includes(t.toLowerCase())) {
    ctx.addIssue({
      code: 'custom',
      message: `"${t}" is a multi-tenant sign-in alias, not a tenant: expected the tenant's GUID (Directory (tenant) ID) or a verified domain name such as contoso.onmicrosoft.com`,
    });
  } else if (!isGuid(t) && !DOMAIN.test(t)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected the tenant's GUID (Directory (tenant) ID) or a verified domain name such as contoso.onmicrosoft.com, got ${quote(v)}`,
    });
  }
});

/** users.include: object ids, or Graph's keywords (exact spelling, as Graph documents them). */
export const USER_INCLUDE_KEYWORDS = ['All', 'None', 'GuestsOrExternalUsers'] as const;
/** users.exclude: object ids, or this keyword. */
export const USER_EXCLUDE_KEYWORDS = ['GuestsOrExternalUsers'] as const;
function idOrKeyword(what: string, keywords: readonly string[]) {
  return z.string().superRefine((v, ctx) => {
    if (isGuid(v) || keywords.includes(v)) return;
    const alternatives = keywords.length === 0 ? '' : ` or one of ${keywords.join(', ')}`;
    ctx.addIssue({ code: 'custom', message: `expected a ${what} id (a GUID)${alternatives}, got ${quote(v)}` });
  });
}

const DURATION = /^(\d+)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parse "90s", "15m", "1h", "2d", "500ms" into milliseconds. Undefined when malformed, zero (no
 * command or schedule means "wait 0s": `sync --timeout 0s` is refused) or too large to be exact
 * (beyond 2^53 ms, some 285,000 years: `every: 99999999999999999999d` is refused, not stored as 8.64e27).
 */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const unit = UNIT_MS[m[2]];
  if (unit === undefined) return undefined;
  const ms = Number(m[1]) * unit;
  return ms > 0 && Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * Bounds of a schedule: `every` at least `scheduler.minInterval` (default 1 minute: a collection run
 * pages the whole collection; more often only loads ThreatQ and the Graph pace of 1 request/s per
 * tenant; tests and demos may lower it to 1 s) and at most 366 days (a longer interval is a typo;
 * BullMQ would hold it anyway). A cron may fire at most once a minute.
 */
export const MIN_EVERY_MS = 60_000;
export const MIN_EVERY_FLOOR_MS = 1000;
export const MAX_EVERY_MS = 366 * 86_400_000;

/** "0s", "0ms", "0": a zero duration, accepted only where a bound starts at zero (a window that may be off). */
const ZERO_DURATION = /^0+\s*(ms|s|m|h|d)?$/;

/**
 * A duration (text or number) in milliseconds within [minMs, maxMs]; `bounds` names them in messages.
 * Zero ("0s") is accepted only when `minMs` is 0.
 */
function boundedDuration(minMs: number, maxMs: number, bounds: string) {
  return z.union([z.string(), z.number()]).transform((raw, ctx) => {
    const text = String(raw);
    const ms = minMs === 0 && ZERO_DURATION.test(text.trim()) ? 0 : parseDuration(text);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration such as "15m", "1h" or "1d" (a number and one of ms, s, m, h, d), got ${quote(text)}` });
      return z.NEVER;
    }
    if (ms < minMs || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: `expected a duration between ${bounds}, got ${quote(text)}` });
      return z.NEVER;
    }
    return ms;
  });
}

/** Defaults of `pipeline.reconcileWindow`, `pipeline.reconcileMaxWait` and a target's `consistencyTimeout`. */
const DEFAULT_RECONCILE_WINDOW_MS = 5000;
const DEFAULT_RECONCILE_MAX_WAIT_MS = 60_000;
export const DEFAULT_CONSISTENCY_TIMEOUT_MS = 180_000;

// The floor here is scheduler.minInterval's; the configured minInterval is checked on the whole config.
const every = boundedDuration(MIN_EVERY_FLOOR_MS, MAX_EVERY_MS, '1m and 366d');

/** 90000 → "90s", 60000 → "1m": the largest unit that divides the duration exactly. */
export function shortDuration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const minInterval = boundedDuration(MIN_EVERY_FLOOR_MS, 3_600_000, '1s and 1h');

const cron = z.string().superRefine((s, ctx) => {
  const fields = s.trim().split(/\s+/).length;
  let seconds: readonly unknown[] | undefined;
  try {
    const parsed = CronExpressionParser.parse(s);
    seconds = (parsed.fields.second as unknown as { values: readonly unknown[] }).values;
  } catch {
    seconds = undefined;
  }
  if (seconds === undefined || fields < 5 || fields > 6) {
    ctx.addIssue({ code: 'custom', message: `expected a cron expression of 5 fields (minute hour day-of-month month day-of-week) such as "0 */6 * * *", got ${quote(s)}` });
  } else if (seconds.length > 1) {
    ctx.addIssue({ code: 'custom', message: `the cron expression ${quote(s)} fires more than once a minute: use 5 fields (minute first), or one fixed second` });
  }
});

export const scheduleSchema = z.union([
  z.strictObject({ every }).transform((s) => ({ kind: 'every' as const, everyMs: s.every })),
  z.strictObject({ cron }).transform((s) => ({ kind: 'cron' as const, cron: s.cron })),
]);

const tlsSchema = z
  .strictObject({
    /** Verify the server certificate (guide: Enable SSL Verification). */
    verify: bool().default(true),
    /** PEM file with extra CA certificates to trust (private CAs, the Graph emulator). */
    caFile: z.string().min(1, 'expected a file path').optional(),
  })
  .default({ verify: true });

const threatqAuth = z.discriminatedUnion('grant', [
  z.strictObject({ grant: z.literal('client_credentials'), clientId: name, clientSecret: name }),
  z.strictObject({ grant: z.literal('password'), email: name, password: name, clientId: name }),
]);

const collectionSchema = z.strictObject({
  /** The data collection hash (the id in /api/indicators/query/hash/{id}). */
  id: name,
  /** Names of the targets this collection feeds. */
  targets: z.array(name).min(1, 'expected at least one target name'),
  schedule: scheduleSchema.optional(),
  statuses: z.array(name).min(1).default(['Active']),
  types: z.array(z.enum(INDICATOR_TYPES)).min(1).default([...INDICATOR_TYPES]),
  /**
   * Thresholds, evaluated as the collection is paged (src/sources/threatq-source.ts); what they drop is
   * counted as filtered out by reason (`score:below-N`, `score:none`, `age:older-than-90d`,
   * `age:unknown`), never as an error. minScore: keep indicators whose effective ThreatQ score (0-10,
   * manual over generated) is at least this. maxAge: keep indicators whose `updated_at` is at most this
   * old at the start of the run (1h to 3660d). Default: neither.
   */
  minScore: numeric(z.number().min(0).max(10)).optional(),
  maxAge: boundedDuration(3_600_000, 3660 * 86_400_000, '1h and 3660d').optional(),
});

/**
 * Write-back to ThreatQ (opt-in per source; src/pipeline/stages/writeback/): after a successful
 * reconcile, indicators of the source's collections whose range is enforced in Entra (by a target
 * whose policy.state is `enabled`: report-only and disabled policies block nothing) get `tag`
 * and/or an attribute named `attribute` (value: the target and the date it was first enforced);
 * indicators that left Entra lose the tag and attribute (`onRemoval: untag`) or are tagged
 * `removedTag` (`onRemoval: tag`). `false` turns the tag or the attribute off (not both).
 * Paced at `requestsPerSecond` (above 0, at most 50; default 5) per ThreatQ instance (the URL's origin; sources on
 * one instance share the pace at the lowest of their `requestsPerSecond`).
 */
const writeBackSchema = z
  .strictObject({
    tag: z.union([z.literal(false), name]).default('Blocked in Entra'),
    attribute: z.union([z.literal(false), name]).default('Entra Block'),
    onRemoval: z.enum(['untag', 'tag']).default('untag'),
    removedTag: name.default('Unblocked in Entra'),
    requestsPerSecond: numeric(z.number().positive().max(50)).default(5),
  })
  .refine((w) => w.tag !== false || w.attribute !== false, { message: 'expected tag or attribute (both are false: nothing to write back)', path: ['tag'] });

const threatqSource = z.strictObject({
  name,
  kind: z.literal('threatq'),
  url,
  auth: threatqAuth,
  tls: tlsSchema,
  disableProxies: bool().default(false),
  pageSize: numeric(z.number().int().min(1).max(10_000)).default(500),
  collections: z.array(collectionSchema).min(1, 'expected at least one collection'),
  /**
   * ThreatQ's own whitelist: IP indicators of a `whitelistStatuses` status (default [Whitelisted]) in the
   * source's collections, and in `whitelistCollection` when set, are never blocked by any target the
   * source feeds, whichever source has them (src/sources/threatq-source.ts collects them,
   * src/reconcile/desired-ranges.ts subtracts them; entries broader than /8 are refused). Default true.
   */
  neverBlockWhitelisted: bool().default(true),
  whitelistStatuses: z.array(name).min(1).default(['Whitelisted']),
  /** A data collection hash holding more of the whitelist (paged with every collect run of this source's collections). */
  whitelistCollection: name.optional(),
  writeBack: writeBackSchema.optional(),
});

const fileSource = z.strictObject({
  name,
  kind: z.literal('file'),
  path: name,
  targets: z.array(name).min(1, 'expected at least one target name'),
  schedule: scheduleSchema.optional(),
});

export const sourceSchema = z.discriminatedUnion('kind', [threatqSource, fileSource]);

const cidrList = z.array(z.string().refine((v) => normalizeCidr(v) !== null, { message: 'expected an IPv4 or IPv6 address or CIDR' }));

const policySchema = z.strictObject({
  name,
  deleteExisting: bool().default(false),
  state: z.enum(POLICY_STATES).default('enabledForReportingButNotEnforced'),
  signInRiskLevels: z.array(z.enum(RISK_LEVELS)).default([]),
  applications: z
    .strictObject({
      include: z.array(z.enum(APP_INCLUDE)).default(['All']),
      includeAppIds: z.array(guid).default([]),
      exclude: z.array(z.enum(APP_EXCLUDE)).default([]),
      excludeAppIds: z.array(guid).default([]),
    })
    .default({ include: ['All'], includeAppIds: [], exclude: [], excludeAppIds: [] }),
  clientAppTypes: z.array(z.enum(CLIENT_APP_TYPES)).min(1).default(['all']),
  platforms: z
    .strictObject({
      include: z.array(z.enum(PLATFORMS)).default([]),
      exclude: z.array(z.enum(PLATFORMS)).default([]),
    })
    .default({ include: [], exclude: [] }),
  excludeLocation: bool().default(false),
  users: z
    .strictObject({
      /** User object ids, or All / None / GuestsOrExternalUsers. */
      include: z.array(idOrKeyword('user', USER_INCLUDE_KEYWORDS)).default([]),
      /** User object ids, or GuestsOrExternalUsers. */
      exclude: z.array(idOrKeyword('user', USER_EXCLUDE_KEYWORDS)).default([]),
      includeGroups: z.array(idOrKeyword('group', [])).default([]),
      excludeGroups: z.array(idOrKeyword('group', [])).default([]),
      /** Directory role template ids. */
      excludeRoles: z.array(idOrKeyword('directory role template', [])).default([]),
    })
    .optional(),
});

/**
 * Floors and "very broad" thresholds (the reasoning and sources are in src/ranges/range-options.ts):
 * - minPrefixV4/V6: the broadest prefix accepted; a broader indicator is refused (PREFIX_TOO_BROAD) and
 *   merged blocks broader than it are cut back. Defaults /9 and /24; never below Microsoft's /8.
 * - warnBroaderThanV4/V6: an accepted range broader than this is named in a warning of `plan` and of the
 *   reconcile run (defaults /12 and /29, the broadest entries of Spamhaus DROP and DROPv6). A value at
 *   or below the floor never warns.
 */
const safetySchema = z
  .strictObject({
    minPrefixV4: numeric(z.number().int().min(GRAPH_MIN_PREFIX).max(32)).default(DEFAULT_MIN_PREFIX_V4),
    minPrefixV6: numeric(z.number().int().min(GRAPH_MIN_PREFIX).max(128)).default(DEFAULT_MIN_PREFIX_V6),
    warnBroaderThanV4: numeric(z.number().int().min(GRAPH_MIN_PREFIX).max(32)).default(DEFAULT_WARN_BROADER_THAN_V4),
    warnBroaderThanV6: numeric(z.number().int().min(GRAPH_MIN_PREFIX).max(128)).default(DEFAULT_WARN_BROADER_THAN_V6),
    allowReserved: bool().default(false),
    neverBlock: cidrList.default([]),
    maxRemovalFraction: numeric(z.number().min(0).max(1)).default(0.5),
    refuseEmpty: bool().default(true),
    /**
     * Lockout guard (docs/INCIDENT-RESPONSE.md): a policy in state `enabled` whose users include `All`
     * must exclude at least one user or group by object id (Microsoft: "Exclude emergency access
     * accounts from all Conditional Access policies"); `true` lifts the refusal. Default false.
     */
    allowNoExclusions: bool().default(false),
    /**
     * What If before enforcing (src/reconcile/what-if-guard.ts): user object ids of the tenant's
     * emergency access accounts (the policy must never apply to them) and of canary users (it must
     * apply to them from a blocked address, and never from a neverBlock address). Default: none (no
     * evaluation requests are made).
     */
    emergencyAccounts: z.array(guid).max(20).default([]),
    canaryUsers: z.array(guid).max(20).default([]),
    /** Blocked addresses evaluated per check (the first address of ranges spread over the blocked set). 1-50, default 5. */
    whatIfSampleSize: numeric(z.number().int().min(1).max(50)).default(5),
  })
  .default({
    minPrefixV4: DEFAULT_MIN_PREFIX_V4,
    minPrefixV6: DEFAULT_MIN_PREFIX_V6,
    warnBroaderThanV4: DEFAULT_WARN_BROADER_THAN_V4,
    warnBroaderThanV6: DEFAULT_WARN_BROADER_THAN_V6,
    allowReserved: false,
    neverBlock: [],
    maxRemovalFraction: 0.5,
    refuseEmpty: true,
    allowNoExclusions: false,
    emergencyAccounts: [],
    canaryUsers: [],
    whatIfSampleSize: 5,
  });

/**
 * The lockout guard at load: a target whose policy is configured `enabled` for `All` users with no
 * user or group excluded by object id (GuestsOrExternalUsers protects no emergency account) is
 * refused unless safety.allowNoExclusions. The plan checks the same on the live policy
 * (src/reconcile/lockout-guard.ts) for users this configuration does not manage.
 */
function lockoutProblem(t: {
  name: string;
  policy: { state: string; users?: { include: readonly string[]; exclude: readonly string[]; excludeGroups: readonly string[] } | undefined };
  safety: { allowNoExclusions: boolean };
}): string | undefined {
  const u = t.policy.users;
  if (t.safety.allowNoExclusions || t.policy.state !== 'enabled' || !u?.include.includes('All')) return undefined;
  if ([...u.exclude, ...u.excludeGroups].some(isGuid)) return undefined;
  return (
    `lockout guard: target "${t.name}" enables its policy for All users with no user or group excluded, so an emergency access account ` +
    'would be blocked from the listed ranges too (Microsoft: "Exclude emergency access accounts from all Conditional Access policies"): ' +
    'add the emergency access accounts to policy.users.exclude (or their group to policy.users.excludeGroups), or set safety.allowNoExclusions: true'
  );
}

export const targetSchema = z
  .strictObject({
    name,
    /** The tenant's GUID or a verified domain name (checked again against the token's tenant at run time). */
    tenantId,
    /** The app registration's Application (client) ID. */
    clientId: guid,
    clientSecret: z.string().min(1, 'expected a non-empty string').optional(),
    /** PEM with the certificate and its private key; must exist and be readable at start-up (load-config.ts). */
    certificatePath: z.string().min(1, 'expected a file path').optional(),
    disableProxies: bool().default(false),
    tls: tlsSchema,
    cloud: z
      .strictObject({
        graphBaseUrl: url.default('https://graph.microsoft.com'),
        authorityHost: url.default('https://login.microsoftonline.com'),
      })
      .default({ graphBaseUrl: 'https://graph.microsoft.com', authorityHost: 'https://login.microsoftonline.com' }),
    /**
     * Graph pacing for this target's tenant, across every process (src/graph/graph-pacer.ts).
     * Microsoft allows conditional access and named-location calls 1 request per second per tenant,
     * across all apps.
     */
    rateLimit: z
      .strictObject({
        /** Requests per second, at most 100. Default 1. Above 1 against a Microsoft cloud needs the opt-in below. */
        requestsPerSecond: numeric(z.number().positive().max(100)).default(1),
        /**
         * The explicit opt-in for `requestsPerSecond` above 1 against a Microsoft cloud (graph.microsoft.com
         * or a national cloud; src/config/microsoft-clouds.ts), e.g. when Microsoft raised the tenant's
         * limit. Without it such a configuration is refused at load. Default false.
         */
        allowAboveMicrosoftLimit: bool().default(false),
      })
      .default({ requestsPerSecond: 1, allowAboveMicrosoftLimit: false }),
    /**
     * The longest wait, in total, for Graph to agree before one destructive step (a location reading as
     * untrusted before its delete, a policy no longer referencing a location, a refused delete retried:
     * src/graph/consistency.ts); past it the reconcile fails with ERR_GRAPH_NOT_CONSISTENT and is
     * retried. 10s to 30m. Default 3m.
     */
    consistencyTimeout: boundedDuration(10_000, 1_800_000, '10s and 30m').default(DEFAULT_CONSISTENCY_TIMEOUT_MS),
    objectsPerRun: numeric(z.number().int().min(1).max(1_000_000)).default(1000),
    /**
     * Anti-flap (src/state/grace-store.ts): a range this service wrote that leaves the desired set stays
     * blocked until it has been absent this long, then goes in one write; one that comes back within it
     * costs no write. 1s to 30d (tests use seconds; operators hours). Default: none (a range is removed the run it leaves). A manual run with
     * namedLocation.clearOnManualRun ignores it.
     */
    removalGrace: boundedDuration(1000, 30 * 86_400_000, '1s and 30d').optional(),
    mode: z.enum(['mirror', 'append']).default('mirror'),
    namedLocation: z.strictObject({
      name,
      isTrusted: bool().default(false),
      clearOnManualRun: bool().default(false),
      maxRangesPerLocation: numeric(z.number().int().min(1).max(2000)).default(2000),
      maxLocations: numeric(z.number().int().min(1).max(195)).default(10),
    }),
    policy: policySchema,
    safety: safetySchema,
  })
  .superRefine((t, ctx) => {
    if (t.clientSecret === undefined && t.certificatePath === undefined) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'expected clientSecret or certificatePath' });
    }
    if (t.clientSecret !== undefined && t.certificatePath !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['certificatePath'], message: 'expected only one of clientSecret and certificatePath' });
    }
    const lockout = lockoutProblem(t);
    if (lockout !== undefined) ctx.addIssue({ code: 'custom', path: ['policy', 'users', 'exclude'], message: lockout });
    const host = paceAboveMicrosoftLimit(t);
    if (host !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['rateLimit', 'requestsPerSecond'],
        message:
          `${t.rateLimit.requestsPerSecond} requests/s against ${host}, a Microsoft cloud that allows 1 request per second per tenant ` +
          'for conditional access: set it to 1 (the default), or set rateLimit.allowAboveMicrosoftLimit: true if Microsoft raised your limit',
      });
    }
  });

/** A collection status that is also a whitelist status of its source (neverBlockWhitelisted): one problem each. */
function whitelistStatusClashes(
  s: z.output<typeof threatqSource>,
  at: (string | number)[],
): { path: (string | number)[]; message: string }[] {
  if (!s.neverBlockWhitelisted) return [];
  const whitelist = new Set(s.whitelistStatuses.map((x) => x.toLowerCase()));
  return s.collections.flatMap((col, j) =>
    col.statuses.flatMap((st, k) =>
      whitelist.has(st.toLowerCase())
        ? [{ path: [...at, 'collections', j, 'statuses', k], message: `"${st}" is a whitelist status of this source (whitelistStatuses): it cannot also be blocked` }]
        : [],
    ),
  );
}

/** The kinds of `notify:` targets: a generic JSON webhook, Slack and Teams incoming webhooks (src/notify/notify-format.ts). */
export const NOTIFY_KINDS = ['webhook', 'slack', 'teams'] as const;
/** The events a `notify:` target may be limited to (`events`); the closed union is src/notify/notify-events.ts. */
export const NOTIFY_EVENT_KINDS = ['run-failed', 'run-refused', 'large-change', 'capacity-high', 'kill-switch', 'rollback', 'what-if-surprise'] as const;
/** Defaults of a notify target's thresholds, dedup window and retries (config/example.yaml, docs/INCIDENT-RESPONSE.md). */
export const NOTIFY_DEFAULTS = Object.freeze({ largeChange: 500, capacityPercent: 90, windowMs: 3_600_000, attempts: 6, backoffMs: 10_000 });

/**
 * One `notify:` target (src/notify/): where messages go (`url`: a secret, registered for redaction at
 * load; job data names the target, never the URL), which events (`events`, default all), the
 * thresholds of the two conditions a reconcile raises (`largeChange`: ranges added + removed in one run
 * above this; `capacityPercent`: ranges held above this share of maxLocations × maxRangesPerLocation),
 * the dedup `window` (one message per condition per window) and the delivery retries (`attempts`,
 * exponential `backoff` from this delay). `name` defaults to `<kind>-<position from 1>`.
 */
const notifyTargetSchema = z.strictObject({
  name: name.optional(),
  kind: z.enum(NOTIFY_KINDS),
  url: z.url({ protocol: /^https?$/, message: 'expected an absolute http:// or https:// URL' }),
  events: z.array(z.enum(NOTIFY_EVENT_KINDS)).min(1, 'expected at least one event (leave the key out for all)').optional(),
  largeChange: numeric(z.number().int().min(1).max(10_000_000)).default(NOTIFY_DEFAULTS.largeChange),
  capacityPercent: numeric(z.number().min(1).max(100)).default(NOTIFY_DEFAULTS.capacityPercent),
  window: boundedDuration(1000, 7 * 86_400_000, '1s and 7d').default(NOTIFY_DEFAULTS.windowMs),
  attempts: numeric(z.number().int().min(1).max(20)).default(NOTIFY_DEFAULTS.attempts),
  backoff: boundedDuration(100, 3_600_000, '100ms and 1h').default(NOTIFY_DEFAULTS.backoffMs),
});

const notifySchema = z
  .array(notifyTargetSchema)
  .default([])
  .transform((list) => list.map((t, i) => ({ ...t, name: t.name ?? `${t.kind}-${i + 1}` })));

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const DEFAULT_REDIS_PREFIX = 'tq-entra';

/** The part of a key Redis Cluster hashes: the first `{…}` with something inside, else none. */
export function redisHashTag(prefix: string): string | undefined {
  const open = prefix.indexOf('{');
  const close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
  return close > open + 1 ? prefix.slice(open + 1, close) : undefined;
}

const redisNode = z
  .string()
  .trim()
  .regex(/^(?:rediss?:\/\/(?:[^@/\s]*@)?)?(?:\[[0-9a-fA-F:.]+\]|[^\s:/@[\]]+):\d{1,5}\/?$/, 'expected host:port or a redis:// URL with a port, e.g. 10.0.0.5:7000');

/**
 * `redis`: one Redis (`url`, the default) or a Redis Cluster (`cluster`), never both. On a cluster
 * every key of the service and of BullMQ must hash to one slot (multi-key scripts, transactions,
 * BullMQ's Lua), so the prefix must carry a hash tag.
 */
const redisSchema = z
  .strictObject({
    url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional(),
    cluster: z
      .strictObject({
        /** Seed nodes; the client discovers the rest (CLUSTER SLOTS). */
        nodes: z.array(redisNode).min(1),
        /** The cluster's password (AUTH); else the one in a node written as a URL, if any. */
        password: z.string().min(1).optional(),
      })
      .optional(),
    prefix: z.string().min(1).default(DEFAULT_REDIS_PREFIX),
  })
  .superRefine((r, ctx) => {
    if (r.url !== undefined && r.cluster !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['cluster'], message: 'expected either redis.url (one Redis) or redis.cluster (a Redis Cluster), not both' });
    }
    if (r.cluster !== undefined && redisHashTag(r.prefix) === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['prefix'],
        message: `a Redis Cluster needs every key in one hash slot: write the prefix with a hash tag, e.g. prefix: "{${r.prefix.replace(/[{}]/g, '') || DEFAULT_REDIS_PREFIX}}", got "${r.prefix}"`,
      });
    }
  })
  .transform((r) => (r.cluster === undefined ? { url: r.url ?? DEFAULT_REDIS_URL, prefix: r.prefix } : { cluster: r.cluster, prefix: r.prefix }))
  .default({ url: DEFAULT_REDIS_URL, prefix: DEFAULT_REDIS_PREFIX });

export const configSchema = z
  .strictObject({
    redis: redisSchema,
    sources: z.array(sourceSchema).default([]),
    targets: z.array(targetSchema).min(1, 'expected at least one target'),
    worker: z
      .strictObject({
        /** Jobs one worker process runs at once, per queue. */
        concurrency: z
          .strictObject({
            collect: numeric(z.number().int().min(1).max(64)).default(2),
            ingest: numeric(z.number().int().min(1).max(64)).default(4),
            /**
             * Reconciles at once per process (1-256; each target is serialised by its lock whatever this
             * says). A reconcile mostly waits on its tenant's pacer (1 request/s), so reconciles of
             * different tenants overlap: with at least (targets ÷ worker processes) slots every tenant
             * is served at once (bench:tenants: 50 tenants together in 1.02× the slowest alone). Memory
             * per concurrent reconcile (RSS growth, bench:tenants): ~4 MB at 3,000 ranges, ~35 MB at
             * 50,000, about 0.7 KB per range; lower it for many full targets (docs/SCALING.md).
             */
            reconcile: numeric(z.number().int().min(1).max(256)).default(16),
            /** Write-back jobs (one per ThreatQ source collection with writeBack) at once per process. */
            writeback: numeric(z.number().int().min(1).max(64)).default(1),
            /** Notification deliveries (queue notify) at once per process. */
            notify: numeric(z.number().int().min(1).max(64)).default(4),
          })
          .default({ collect: 2, ingest: 4, reconcile: 16, writeback: 1, notify: 4 }),
        /** A job whose worker stops renewing its lock for this long (killed, frozen) is handed to another worker. */
        lockDurationMs: numeric(z.number().int().min(1000).max(600_000)).default(30_000),
        /** How often workers look for such stalled jobs. */
        stalledIntervalMs: numeric(z.number().int().min(1000).max(600_000)).default(30_000),
        /** Each worker process serves /metrics, /healthz and /readyz here (port 0: not served). */
        http: z
          .strictObject({
            host: z.string().min(1).default('127.0.0.1'),
            port: numeric(z.number().int().min(0).max(65535)).default(9464),
          })
          .default({ host: '127.0.0.1', port: 9464 }),
      })
      .default({
        concurrency: { collect: 2, ingest: 4, reconcile: 16, writeback: 1, notify: 4 },
        lockDurationMs: 30_000,
        stalledIntervalMs: 30_000,
        http: { host: '127.0.0.1', port: 9464 },
      }),
    dashboard: z
      .strictObject({
        host: z.string().min(1).default('127.0.0.1'),
        port: numeric(z.number().int().min(0).max(65535)).default(3000),
        username: z.string().min(1).optional(),
        password: z.string().min(1).optional(),
      })
      .default({ host: '127.0.0.1', port: 3000 }),
    jobs: z
      .strictObject({
        /** Finished jobs each queue keeps for the dashboard and reports; the count caps Redis whatever the schedule. */
        keepCompleted: numeric(z.number().int().min(1).max(100_000)).default(1000),
        keepFailed: numeric(z.number().int().min(1).max(100_000)).default(5000),
        /** Entries kept in each queue's event stream (BullMQ's default 10,000). */
        keepEvents: numeric(z.number().int().min(100).max(1_000_000)).default(10_000),
        /** ...and for at most this long. */
        keepFor: boundedDuration(60_000, MAX_EVERY_MS, '1m and 366d').default(7 * 86_400_000),
      })
      .default({ keepCompleted: 1000, keepFailed: 5000, keepEvents: 10_000, keepFor: 7 * 86_400_000 })
      .transform((j) => ({ keepCompleted: j.keepCompleted, keepFailed: j.keepFailed, keepEvents: j.keepEvents, keepForMs: j.keepFor })),
    /**
     * History of every writing reconcile, per target (src/state/history-store.ts): diffs kept for the
     * newest `keepRuns` runs (1-100,000, default 500) and at most `keepDays` days (1-3650, default 30),
     * whichever is fewer. `tq-entra history`, `why` and `rollback --to RUN` read it.
     */
    history: z
      .strictObject({
        keepRuns: numeric(z.number().int().min(1).max(100_000)).default(500),
        keepDays: numeric(z.number().int().min(1).max(3650)).default(30),
      })
      .default({ keepRuns: 500, keepDays: 30 }),
    /** How committed runs become reconciles (src/pipeline/producer.ts `enqueueReconcile`). */
    pipeline: z
      .strictObject({
        /**
         * Commits for one target that land within this long of each other collapse into one reconcile,
         * which starts once this long has passed since the last of them (debounce): a target fed by
         * several sources that finish close together is reconciled once, not once per source. `0s`: a
         * reconcile is queued at once for every commit. 0s to 5m. Default 5s.
         */
        reconcileWindow: boundedDuration(0, 300_000, '0s and 5m').default(DEFAULT_RECONCILE_WINDOW_MS),
        /**
         * However steadily commits keep coming, a reconcile waits at most this long after the first
         * commit it covers. At least `reconcileWindow`; 1s to 1h. Default 1m.
         */
        reconcileMaxWait: boundedDuration(1000, 3_600_000, '1s and 1h').default(DEFAULT_RECONCILE_MAX_WAIT_MS),
      })
      .default({ reconcileWindow: DEFAULT_RECONCILE_WINDOW_MS, reconcileMaxWait: DEFAULT_RECONCILE_MAX_WAIT_MS }),
    scheduler: z
      .strictObject({
        /** The shortest `every` a schedule may have (default 1m; tests and demos may lower it, down to 1s). */
        minInterval: minInterval.default(MIN_EVERY_MS),
      })
      .default({ minInterval: MIN_EVERY_MS }),
    /** Notification targets (src/notify/; docs/INCIDENT-RESPONSE.md "Notifications"). Default none. */
    notify: notifySchema,
  })
  .superRefine((c, ctx) => {
    const targetNames = new Set<string>();
    c.targets.forEach((t, i) => {
      if (targetNames.has(t.name)) ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `duplicate target name "${t.name}"` });
      targetNames.add(t.name);
    });
    const sourceNames = new Set<string>();
    c.sources.forEach((s, i) => {
      if (sourceNames.has(s.name)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'name'], message: `duplicate source name "${s.name}"` });
      sourceNames.add(s.name);
      const check = (targets: readonly string[], path: (string | number)[]) =>
        targets.forEach((t, k) => {
          if (!targetNames.has(t)) {
            ctx.addIssue({ code: 'custom', path: [...path, k], message: `no target named "${t}" (known: ${[...targetNames].join(', ') || 'none'})` });
          }
        });
      const tooOften = (schedule: { kind: string; everyMs?: number } | undefined, path: (string | number)[]) => {
        if (schedule?.kind === 'every' && (schedule.everyMs ?? 0) < c.scheduler.minInterval) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, 'schedule', 'every'],
            message: `expected a duration between ${shortDuration(c.scheduler.minInterval)} (scheduler.minInterval) and 366d, got "${shortDuration(schedule.everyMs ?? 0)}"`,
          });
        }
      };
      if (s.kind === 'file') {
        check(s.targets, ['sources', i, 'targets']);
        tooOften(s.schedule, ['sources', i]);
      } else {
        const ids = new Set<string>();
        for (const problem of whitelistStatusClashes(s, ['sources', i])) ctx.addIssue({ code: 'custom', ...problem });
        s.collections.forEach((col, j) => {
          if (ids.has(col.id)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'collections', j, 'id'], message: `duplicate collection id "${col.id}"` });
          ids.add(col.id);
          check(col.targets, ['sources', i, 'collections', j, 'targets']);
          tooOften(col.schedule, ['sources', i, 'collections', j]);
        });
      }
    });
    if (c.pipeline.reconcileMaxWait < c.pipeline.reconcileWindow) {
      ctx.addIssue({
        code: 'custom',
        path: ['pipeline', 'reconcileMaxWait'],
        message: `expected at least pipeline.reconcileWindow (${shortDuration(c.pipeline.reconcileWindow)}), got "${shortDuration(c.pipeline.reconcileMaxWait)}"`,
      });
    }
    const notifyNames = new Set<string>();
    c.notify.forEach((n, i) => {
      if (notifyNames.has(n.name)) ctx.addIssue({ code: 'custom', path: ['notify', i, 'name'], message: `duplicate notify target name "${n.name}"` });
      notifyNames.add(n.name);
    });
    for (const problem of ownershipCollisions(c.targets)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(c.dashboard.host);
    if (!loopback && (!c.dashboard.username || !c.dashboard.password)) {
      ctx.addIssue({ code: 'custom', path: ['dashboard', 'username'], message: 'expected username and password when dashboard.host is not a loopback address' });
    }
  });

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;
type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

/**
 * What the stages need per source collection, resolved once when the configuration loads
 * (load-config.ts), never per job. Derived from the file, so not part of it: `config check --print`
 * and the configuration fingerprint leave it out.
 */
export interface CollectionSettings {
  readonly source: string;
  /** The collection id (a file source's path). */
  readonly collection: string;
  /** The targets it feeds, in configuration order. */
  readonly targets: readonly string[];
  /** Indicators per ingest chunk: the smallest `objectsPerRun` of those targets. */
  readonly chunkSize: number;
  /** How its indicators are parsed: the strictest `safety` floors of those targets. */
  readonly parseOptions: Readonly<{ minPrefixV4: number; minPrefixV6: number; allowReserved: boolean }>;
}

export interface ResolvedSettings {
  /** One entry per source collection, in configuration order. */
  readonly collections: readonly CollectionSettings[];
}

export type Config = DeepReadonly<Parsed> & { readonly resolved: ResolvedSettings };
export type SourceConfig = Config['sources'][number];
export type ThreatQSourceConfig = Extract<SourceConfig, { kind: 'threatq' }>;
export type FileSourceConfig = Extract<SourceConfig, { kind: 'file' }>;
export type CollectionConfig = ThreatQSourceConfig['collections'][number];
export type TargetConfig = Config['targets'][number];
export type PolicyConfig = TargetConfig['policy'];
export type SafetyConfig = TargetConfig['safety'];
export type Schedule = NonNullable<CollectionConfig['schedule']>;
export type WriteBackConfig = NonNullable<ThreatQSourceConfig['writeBack']>;
export type NotifyTargetConfig = Config['notify'][number];
export type NotifyKind = (typeof NOTIFY_KINDS)[number];
export type NotifyEventKind = (typeof NOTIFY_EVENT_KINDS)[number];
