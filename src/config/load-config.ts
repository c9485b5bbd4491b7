/**
 * Loading: read the YAML file, replace `${NAME}` with environment variables, apply REDIS_URL (refused
 * beside `redis.cluster`: exactly one way to reach Redis), validate with the schema, deep-freeze, and
 * register every secret value for redaction (notification webhook URLs included:
 * secretPartsOfWebhookUrl). Any problem becomes one
 * ConfigError listing each problem by path; the CLI turns it into exit status 2 before touching Redis
 * or any API.
 *
 * Interpolation: `${NAME}` anywhere in a string value is replaced by the variable's value; `$${` writes
 * a literal `${`. A missing variable is an error that names it and the path where it was used.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './errors/config-error.ts';
import { registerSecret, redactDeep } from '../observability/secrets.ts';
import { checkConfigFiles } from './check-files.ts';
import { formatPath } from './format-path.ts';
import { configSchema, type CollectionSettings, type Config, type ResolvedSettings } from './schema.ts';

export interface LoadOptions {
  /** Environment to interpolate from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export function resolveConfigPath(cliPath: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const path = cliPath ?? env['TQ_ENTRA_CONFIG'];
  if (!path) throw new ConfigError('ERR_CONFIG_READ', ['no configuration file: pass --config FILE or set TQ_ENTRA_CONFIG']);
  return path;
}

export function loadConfigFile(path: string, options: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (cause as Error).message;
    throw new ConfigError('ERR_CONFIG_READ', [`${path}: ${reason}`], { cause });
  }
  return loadConfigText(text, { ...options, source: path });
}

export function loadConfigText(text: string, options: LoadOptions & { source?: string } = {}): Config {
  const env = options.env ?? process.env;
  const src = options.source === undefined ? {} : { source: options.source };
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (cause) {
    const msg = cause instanceof YAMLParseError ? cause.message.split('\n')[0] ?? cause.message : String(cause);
    throw new ConfigError('ERR_CONFIG_READ', [`YAML: ${msg}`], { cause, ...src });
  }
  if (raw === null || raw === undefined) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError('ERR_CONFIG_INVALID', ['(root): expected a mapping of keys'], src);
  }
  const missing: string[] = [];
  const interpolated = interpolate(raw, env, [], missing);
  if (missing.length > 0) throw new ConfigError('ERR_CONFIG_ENV_MISSING', missing, src);

  const withEnv = interpolated as Record<string, unknown>;
  const redisUrl = env['REDIS_URL'];
  if (redisUrl) {
    const redis = (typeof withEnv['redis'] === 'object' && withEnv['redis'] !== null ? withEnv['redis'] : {}) as Record<string, unknown>;
    if (redis['cluster'] !== undefined) {
      throw new ConfigError('ERR_CONFIG_INVALID', ['redis.cluster: the REDIS_URL environment variable is set too (it names one Redis): unset REDIS_URL to use the cluster, or remove redis.cluster'], src);
    }
    withEnv['redis'] = { ...redis, url: redisUrl };
  }

  const result = configSchema.safeParse(withEnv, { reportInput: true });
  if (!result.success) throw new ConfigError('ERR_CONFIG_INVALID', formatIssues(result.error.issues), src);
  const fileProblems = checkConfigFiles(result.data);
  if (fileProblems.length > 0) throw new ConfigError('ERR_CONFIG_INVALID', fileProblems, src);
  const config = deepFreeze({ ...result.data, resolved: resolveSettings(result.data) }) as Config;
  registerConfigSecrets(config);
  return config;
}


export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    switch (issue.code) {
      case 'unrecognized_keys':
        for (const key of issue.keys) out.push(`${formatPath([...issue.path, key])}: unknown key`);
        break;
      case 'invalid_value':
        out.push(`${path}: expected one of ${issue.values.map(String).join(', ')}`);
        break;
      case 'invalid_type': {
        const expected = issue.expected === 'int' ? 'a whole number' : issue.expected;
        out.push(`${path}: ${issue.input === undefined ? 'required, ' : ''}expected ${expected}${issue.input === undefined ? '' : `, got ${describe(issue.input)}`}`);
        break;
      }
      case 'invalid_union': {
        const discriminator = (issue as { note?: string }).note;
        if (issue.errors.length === 0 || discriminator) {
          out.push(`${path}: ${issue.message.replace(/^Invalid input:?\s*/i, 'expected ')}`);
        } else {
          // Report the branch that got furthest (fewest problems).
          const best = [...issue.errors].sort((a, b) => a.length - b.length)[0] ?? [];
          out.push(...formatIssues(best.map((i) => ({ ...i, path: [...issue.path, ...i.path] }))));
        }
        break;
      }
      case 'too_small':
      case 'too_big':
        out.push(`${path}: ${boundText(issue)}`);
        break;
      case 'invalid_format':
      case 'not_multiple_of':
      case 'invalid_key':
      case 'invalid_element':
      case 'custom':
        out.push(`${path}: ${issue.message.replace(/^Invalid input:?\s*/i, '')}`);
        break;
      default: {
        // A code zod adds later fails the typecheck here; at run time it is still reported.
        const unhandled: never = issue;
        out.push(`${path}: ${String((unhandled as { message?: unknown }).message)}`);
      }
    }
  }
  return [...new Set(out)];
}

/** A size or value bound in plain words: "expected a number of at least 1", "expected at most 2000 item(s)". */
function boundText(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const small = issue.code === 'too_small';
  const limit = String(small ? issue.minimum : issue.maximum);
  const exclusive = issue.inclusive === false;
  const word = small ? (exclusive ? 'greater than' : 'at least') : exclusive ? 'less than' : 'at most';
  switch (issue.origin) {
    case 'array':
    case 'set':
      return `expected ${word} ${limit} item(s)`;
    case 'string':
      return small && limit === '1' && !exclusive ? 'expected a non-empty string' : `expected ${word} ${limit} character(s)`;
    case 'number':
    case 'int':
    case 'bigint':
      return `expected a number ${exclusive ? '' : 'of '}${word} ${limit}`;
    default:
      return issue.message.replace(/^Too (small|big):\s*/i, '');
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isNaN(v)) return 'NaN (.nan is not a number)';
  if (typeof v === 'number' && !Number.isFinite(v)) return 'an infinite number';
  if (typeof v === 'number' && !Number.isInteger(v)) return String(v);
  return typeof v;
}

function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: PropertyKey[], missing: string[]): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(/\$?\$\{([^}]*)\}/g, (match, varName: string) => {
      if (match.startsWith('$$')) return match.slice(1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(varName)) {
        missing.push(`${formatPath(path)}: "\${${varName}}" is not a valid environment variable reference`);
        return '';
      }
      const v = env[varName];
      if (v === undefined) {
        missing.push(`${formatPath(path)}: environment variable ${varName} is not set`);
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], missing));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, env, [...path, k], missing);
    return out;
  }
  return value;
}

type ParsedConfig = Omit<Config, 'resolved'>;

/** The per-collection settings of the stages (CollectionSettings), computed once here. */
function resolveSettings(config: ParsedConfig): ResolvedSettings {
  const targets = new Map(config.targets.map((t) => [t.name, t]));
  const collections: CollectionSettings[] = [];
  for (const source of config.sources) {
    const feeds = source.kind === 'file' ? [{ id: source.path, targets: source.targets }] : source.collections;
    for (const c of feeds) {
      // The schema refuses a collection naming an unknown target, so every lookup succeeds.
      const fed = c.targets.flatMap((name) => targets.get(name) ?? []);
      collections.push({
        source: source.name,
        collection: c.id,
        targets: c.targets,
        chunkSize: Math.min(...fed.map((t) => t.objectsPerRun)),
        parseOptions: {
          minPrefixV4: Math.max(...fed.map((t) => t.safety.minPrefixV4)),
          minPrefixV6: Math.max(...fed.map((t) => t.safety.minPrefixV6)),
          allowReserved: fed.every((t) => t.safety.allowReserved),
        },
      });
    }
  }
  return { collections };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function registerConfigSecrets(config: Config): void {
  for (const s of config.sources) {
    if (s.kind !== 'threatq') continue;
    if (s.auth.grant === 'client_credentials') registerSecret(s.auth.clientSecret);
    else registerSecret(s.auth.password);
  }
  for (const t of config.targets) registerSecret(t.clientSecret);
  registerSecret(config.dashboard.password);
  const redis = config.redis;
  if (redis.url !== undefined) registerSecret(passwordOfUrl(redis.url));
  if (redis.cluster !== undefined) {
    registerSecret(redis.cluster.password);
    for (const node of redis.cluster.nodes) registerSecret(passwordOfUrl(node));
  }
  for (const n of config.notify) for (const part of secretPartsOfWebhookUrl(n.url)) registerSecret(part);
}

/**
 * A notification webhook URL is a credential as a whole (Slack and Teams put the token in the path,
 * others in the query): the URL as written and as normalised, its path with query, each query value
 * and its userinfo are registered, so none of them is ever logged, whatever form a library prints.
 */
function secretPartsOfWebhookUrl(u: string): string[] {
  const parts = [u];
  try {
    const parsed = new URL(u);
    parts.push(parsed.href, `${parsed.pathname}${parsed.search}`, parsed.password, parsed.username);
    for (const v of parsed.searchParams.values()) parts.push(v);
  } catch {
    // the schema accepted it as a URL; nothing more to take apart
  }
  // A bare "/" or a short path such as "/hook" would redact ordinary text everywhere: only longer parts.
  return parts.filter((p) => p.length >= 8);
}

function passwordOfUrl(u: string): string | undefined {
  try {
    const p = new URL(u).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    return undefined;
  }
}

/** The configuration as safe to print: secrets redacted. */
export function redactConfig(config: Config): unknown {
  const { resolved: _derived, ...fromFile } = config;
  return redactDeep(fromFile);
}
