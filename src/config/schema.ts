/**
 * The configuration contract: one YAML file, validated once at start-up into a frozen, typed Config.
 * Every key, its default and its meaning is documented in config/example.yaml; keep the two in step.
 * Unknown keys are rejected everywhere (strict objects). Enum values are exact: Graph is case-sensitive.
 */
import { z } from 'zod';
import { CronExpressionParser } from 'cron-parser';
import { normalizeCidr } from '../ranges/normalize-cidr.ts';

export const INDICATOR_TYPES = ['IP Address', 'IPv6 Address', 'CIDR Block'] as const;
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
const guid = z
  .string()
  .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'expected a GUID');

const DURATION = /^(\d+)\s*(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse "90s", "15m", "1h", "2d", "500ms" into milliseconds; undefined when malformed. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || m[1] === undefined || m[2] === undefined) return undefined;
  const unit = UNIT_MS[m[2]];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

const duration = z.string().transform((s, ctx) => {
  const ms = parseDuration(s);
  if (ms === undefined || ms < 1000) {
    ctx.addIssue({ code: 'custom', message: 'expected a duration of at least 1s such as "90s", "15m", "1h" or "1d"' });
    return z.NEVER;
  }
  return ms;
});

const cron = z.string().refine(
  (s) => {
    try {
      CronExpressionParser.parse(s);
      return s.trim().split(/\s+/).length >= 5;
    } catch {
      return false;
    }
  },
  { message: 'expected a cron expression such as "0 */6 * * *"' },
);

export const scheduleSchema = z.union([
  z.strictObject({ every: duration }).transform((s) => ({ kind: 'every' as const, everyMs: s.every })),
  z.strictObject({ cron }).transform((s) => ({ kind: 'cron' as const, cron: s.cron })),
]);

const tlsSchema = z
  .strictObject({
    /** Verify the server certificate (guide: Enable SSL Verification). */
    verify: bool().default(true),
    /** PEM file with extra CA certificates to trust (private CAs, the Graph emulator). */
    caFile: z.string().min(1).optional(),
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
});

const threatqSource = z.strictObject({
  name,
  kind: z.literal('threatq'),
  url,
  auth: threatqAuth,
  tls: tlsSchema,
  disableProxies: bool().default(false),
  pageSize: numeric(z.number().int().min(1).max(10_000)).default(500),
  collections: z.array(collectionSchema).min(1, 'expected at least one collection'),
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
      include: z.array(name).default([]),
      exclude: z.array(name).default([]),
      includeGroups: z.array(name).default([]),
      excludeGroups: z.array(name).default([]),
      excludeRoles: z.array(name).default([]),
    })
    .optional(),
});

const safetySchema = z
  .strictObject({
    minPrefixV4: numeric(z.number().int().min(8).max(32)).default(8),
    minPrefixV6: numeric(z.number().int().min(8).max(128)).default(8),
    allowReserved: bool().default(false),
    neverBlock: cidrList.default([]),
    maxRemovalFraction: numeric(z.number().min(0).max(1)).default(0.5),
    refuseEmpty: bool().default(true),
  })
  .default({ minPrefixV4: 8, minPrefixV6: 8, allowReserved: false, neverBlock: [], maxRemovalFraction: 0.5, refuseEmpty: true });

export const targetSchema = z
  .strictObject({
    name,
    tenantId: z.string().min(1),
    clientId: z.string().min(1),
    clientSecret: z.string().min(1).optional(),
    certificatePath: z.string().min(1).optional(),
    disableProxies: bool().default(false),
    tls: tlsSchema,
    cloud: z
      .strictObject({
        graphBaseUrl: url.default('https://graph.microsoft.com'),
        authorityHost: url.default('https://login.microsoftonline.com'),
      })
      .default({ graphBaseUrl: 'https://graph.microsoft.com', authorityHost: 'https://login.microsoftonline.com' }),
    /** Graph pacing: conditional-access requests per second for this tenant, across every process. */
    rateLimit: z
      .strictObject({ requestsPerSecond: numeric(z.number().positive().max(100)).default(1) })
      .default({ requestsPerSecond: 1 }),
    objectsPerRun: numeric(z.number().int().min(1).max(1_000_000)).default(1000),
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
    if (!t.clientSecret && !t.certificatePath) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'expected clientSecret or certificatePath' });
    }
    if (t.clientSecret && t.certificatePath) {
      ctx.addIssue({ code: 'custom', path: ['certificatePath'], message: 'expected only one of clientSecret and certificatePath' });
    }
  });

export const configSchema = z
  .strictObject({
    redis: z
      .strictObject({
        url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
        prefix: z.string().min(1).default('tq-entra'),
      })
      .default({ url: 'redis://127.0.0.1:6379', prefix: 'tq-entra' }),
    sources: z.array(sourceSchema).default([]),
    targets: z.array(targetSchema).min(1, 'expected at least one target'),
    worker: z
      .strictObject({
        /** Jobs one worker process runs at once, per queue. */
        concurrency: z
          .strictObject({
            collect: numeric(z.number().int().min(1).max(64)).default(2),
            ingest: numeric(z.number().int().min(1).max(64)).default(4),
            reconcile: numeric(z.number().int().min(1).max(64)).default(2),
          })
          .default({ collect: 2, ingest: 4, reconcile: 2 }),
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
        concurrency: { collect: 2, ingest: 4, reconcile: 2 },
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
      if (s.kind === 'file') check(s.targets, ['sources', i, 'targets']);
      else {
        const ids = new Set<string>();
        s.collections.forEach((col, j) => {
          if (ids.has(col.id)) ctx.addIssue({ code: 'custom', path: ['sources', i, 'collections', j, 'id'], message: `duplicate collection id "${col.id}"` });
          ids.add(col.id);
          check(col.targets, ['sources', i, 'collections', j, 'targets']);
        });
      }
    });
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(c.dashboard.host);
    if (!loopback && (!c.dashboard.username || !c.dashboard.password)) {
      ctx.addIssue({
        code: 'custom',
        path: ['dashboard', 'username'],
        message: 'expected username and password when dashboard.host is not a loopback address',
      });
    }
  });

export type ConfigInput = z.input<typeof configSchema>;
type Parsed = z.output<typeof configSchema>;
type DeepReadonly<T> = T extends (infer U)[] ? readonly DeepReadonly<U>[] : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> } : T;

export type Config = DeepReadonly<Parsed>;
export type SourceConfig = Config['sources'][number];
export type ThreatQSourceConfig = Extract<SourceConfig, { kind: 'threatq' }>;
export type FileSourceConfig = Extract<SourceConfig, { kind: 'file' }>;
export type CollectionConfig = ThreatQSourceConfig['collections'][number];
export type TargetConfig = Config['targets'][number];
export type PolicyConfig = TargetConfig['policy'];
export type SafetyConfig = TargetConfig['safety'];
export type Schedule = NonNullable<CollectionConfig['schedule']>;
