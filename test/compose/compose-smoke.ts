/**
 * `npm run test:compose`: the docker-compose deployment on a real Docker engine, end to end, as an
 * operator runs it (not part of `npm test`: it needs Docker and takes minutes).
 *
 *   npm run test:compose -- [--base-image IMG] [--redis-image IMG] [--project NAME] [--port P]
 *                           [--keep] [--skip-build] [--log-dir DIR]
 *
 * Builds the image (one image, used by every app service), brings the `demo` profile up with
 * config/demo.yaml, waits for every container to be healthy, runs a sync, checks /healthz /readyz
 * /metrics on the dashboard and every worker and the dashboard itself, restarts the Graph emulator
 * (same certificate; workers keep working), scales workers to 3, stops a worker in the middle of a
 * reconcile (exit 0; the sync still succeeds), restarts Redis (AOF: the data survive), starts the
 * dashboard without its password (only the dashboard stops, with a message), stops everything
 * (every container exits 0 on SIGTERM) and removes it all (`--profile demo down -v`).
 *
 * Where no registry is reachable, `--base-image`/`--redis-image` name locally built images
 * (test/compose/build-base-images.sh makes them from Debian's archive). The dashboard password is
 * random, kept in a temporary env file (mode 0600) and never printed. Full command output goes to
 * --log-dir (default .tmp/compose-smoke). Exit status: 0 when every check passed, 1 otherwise.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: args } = parseArgs({
  options: {
    'base-image': { type: 'string' },
    'redis-image': { type: 'string' },
    project: { type: 'string', default: 'tq-entra-smoke' },
    port: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'skip-build': { type: 'boolean', default: false },
    'log-dir': { type: 'string', default: join(root, '.tmp', 'compose-smoke') },
  },
});

const project = args.project ?? 'tq-entra-smoke';
const logDir = resolve(args['log-dir'] ?? join(root, '.tmp', 'compose-smoke'));
mkdirSync(logDir, { recursive: true });
const logFile = join(logDir, 'commands.log');
writeFileSync(logFile, '');
const secretDir = mkdtempSync(join(tmpdir(), 'tq-entra-smoke-'));
const password = randomBytes(18).toString('base64url');
const envFile = join(secretDir, 'demo.env');
const emptyEnvFile = join(secretDir, 'empty.env');
writeFileSync(envFile, `DEMO_DASHBOARD_PASSWORD=${password}\n`, { mode: 0o600 });
writeFileSync(emptyEnvFile, '# no DEMO_DASHBOARD_PASSWORD on purpose\n', { mode: 0o600 });

const started = Date.now();
let passed = 0;
let failed = 0;
const since = (t: number): string => `${((Date.now() - t) / 1000).toFixed(1)}s`;
const print = (line: string): void => console.log(`[${since(started).padStart(6)}] ${line}`);
const redact = (text: string): string => text.split(password).join('***');

function check(ok: boolean, what: string): void {
  if (ok) passed++;
  else failed++;
  print(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
}

interface Run {
  code: number;
  /** stdout and stderr together. */
  out: string;
  stdout: string;
}

/** Environment of every compose command (its interpolation variables). */
let composeEnv: NodeJS.ProcessEnv = {};

function run(cmd: string, argv: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Run {
  const res = spawnSync(cmd, argv, { cwd: root, env: options.env ?? composeEnv, encoding: 'utf8', timeout: options.timeoutMs ?? 600_000, maxBuffer: 64 << 20 });
  const out = `${res.stdout ?? ''}${res.stderr ?? ''}`;
  appendFileSync(logFile, redact(`\n$ ${cmd} ${argv.join(' ')}\n${out}[exit ${res.status ?? res.signal}]\n`));
  return { code: res.status ?? 1, out, stdout: res.stdout ?? '' };
}

function runAsync(cmd: string, argv: string[]): Promise<Run> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, argv, { cwd: root, env: composeEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => {
      appendFileSync(logFile, redact(`\n$ ${cmd} ${argv.join(' ')}\n${out}[exit ${code}]\n`));
      resolvePromise({ code: code ?? 1, out, stdout });
    });
  });
}

const compose = (...argv: string[]): Run => run('docker', ['compose', '-p', project, '--profile', 'demo', ...argv]);
const composeAsync = (...argv: string[]): Promise<Run> => runAsync('docker', ['compose', '-p', project, '--profile', 'demo', ...argv]);
const docker = (...argv: string[]): Run => run('docker', argv);

interface PsRow {
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
  Image: string;
}

function ps(): PsRow[] {
  const res = compose('ps', '-a', '--format', 'json');
  const text = res.out.trim();
  if (!text) return [];
  if (text.startsWith('[')) return JSON.parse(text) as PsRow[];
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as PsRow);
}

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** Every container up, and healthy where it has a health check; returns the rows. */
function allHealthy(expected: number, exclude: string[] = []): PsRow[] | undefined {
  const rows = ps().filter((r) => !exclude.includes(r.Service));
  if (rows.length < expected) return undefined;
  return rows.every((r) => r.State === 'running' && (r.Health === '' || r.Health === 'healthy')) ? rows : undefined;
}

function containerOf(service: string, index = 1): string {
  return `${project}-${service}-${index}`;
}

/** Run a small Node script in a container (it has Node, not curl) and return what it printed. */
function nodeIn(container: string, script: string): Run {
  return docker('exec', container, 'node', '-e', script);
}

/** HTTP status of a URL seen from inside a container (e.g. a worker's own health server). */
function statusIn(container: string, url: string): number {
  const res = nodeIn(container, `fetch(${JSON.stringify(url)}).then(async (r) => { await r.text(); console.log(r.status); }, (e) => { console.log('ERR ' + e.message); })`);
  return Number(res.out.trim().split('\n').pop());
}

/** A worker container that is running now (one may have been stopped on purpose). */
function runningWorker(): string {
  return ps().find((r) => r.Service === 'worker' && r.State === 'running' && !r.Name.includes('-run-'))?.Name ?? containerOf('worker');
}

/** The Graph emulator's state or a control call, made in its container over HTTPS, trusting the CA file. */
function emulatorCall(method: 'GET' | 'POST', path: string): Run {
  return nodeIn(
    containerOf('graph-emulator'),
    `const req = require('node:https').request({ host: '127.0.0.1', port: 8444, path: ${JSON.stringify(path)}, method: ${JSON.stringify(method)}, ca: require('node:fs').readFileSync('/var/lib/tq-entra/graph-ca/ca.pem') }, (r) => { let b = ''; r.setEncoding('utf8'); r.on('data', (d) => (b += d)); r.on('end', () => console.log(b)); }); req.on('error', (e) => { console.log('ERR ' + e.message); process.exit(1); }); req.end();`,
  );
}

function entraRanges(): { locations: number; ranges: number } {
  const res = emulatorCall('GET', '/__emulator/state');
  const state = JSON.parse(res.out.trim().split('\n').pop() ?? '{}') as { namedLocations?: { ipRanges?: unknown[] }[] };
  const locs = state.namedLocations ?? [];
  return { locations: locs.length, ranges: locs.reduce((n, l) => n + (l.ipRanges?.length ?? 0), 0) };
}

async function sync(label: string): Promise<Run> {
  const t = Date.now();
  const res = await composeAsync('run', '--rm', '--no-deps', '-T', 'worker', 'sync', '--target', 'demo-tenant', '--wait');
  const summary = res.out
    .split('\n')
    .filter((l) => /^(OK|FAILED|ERROR)\s/.test(l) || /reconcile .*: done/.test(l))
    .map((l) => `        ${l.length > 220 ? `${l.slice(0, 220)}…` : l}`);
  check(res.code === 0, `${label}: \`sync --target demo-tenant --wait\` exited ${res.code} in ${since(t)}`);
  if (summary.length > 0) console.log(summary.join('\n'));
  return res;
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePromise(port));
    });
  });
}

async function main(): Promise<void> {
  const port = args.port ? Number(args.port) : await freePort();
  composeEnv = {
    ...process.env,
    TQ_ENTRA_ENV_FILE: envFile,
    TQ_ENTRA_CONFIG_NAME: 'demo.yaml',
    DASHBOARD_PUBLISH: `127.0.0.1:${port}`,
    ...(args['base-image'] ? { TQ_ENTRA_BASE_IMAGE: args['base-image'] } : {}),
    ...(args['redis-image'] ? { TQ_ENTRA_REDIS_IMAGE: args['redis-image'] } : {}),
  };
  const dash = `http://127.0.0.1:${port}`;
  const auth = `Basic ${Buffer.from(`demo:${password}`).toString('base64')}`;

  // --- versions --------------------------------------------------------------------------------
  const engine = docker('version', '--format', '{{.Server.Version}}').out.trim();
  const composeVersion = run('docker', ['compose', 'version', '--short']).out.trim();
  print(`Docker engine ${engine}, Compose ${composeVersion}, project ${project}, dashboard on ${dash}`);
  print(`base image ${args['base-image'] ?? 'node:20-bookworm-slim (default)'}, Redis image ${args['redis-image'] ?? 'redis:7-alpine (default)'}`);
  const [maj = 0, min = 0] = composeVersion.replace(/^v/, '').split(/[.-]/).map(Number);
  check(maj > 2 || (maj === 2 && min >= 24), `Compose ${composeVersion} is v2.24 or later`);
  check(compose('config', '--quiet').code === 0, '`docker compose --profile demo config` accepts the file');
  compose('down', '-v', '--remove-orphans'); // a clean start if a previous run was interrupted

  // --- build: one image --------------------------------------------------------------------------
  if (!args['skip-build']) {
    const t = Date.now();
    const imageId = (): string => docker('image', 'inspect', '--format', '{{.Id}}', 'threatq-entra-sync:local').stdout.trim();
    const previous = imageId();
    const res = compose('build');
    check(res.code === 0, `\`docker compose build\` exited ${res.code} in ${since(t)}`);
    if (res.code !== 0) throw new Error(`build failed:\n${res.out.slice(-3000)}`);
    const built = [...res.out.matchAll(/naming to (\S+)/g)].map((m) => m[1]);
    check(built.length === 1 && /threatq-entra-sync:local/.test(built[0] ?? ''), `one image built (${built.join(', ') || 'none named'})`);
    // A rebuild after a source change leaves the previous image untagged: remove it (if unused).
    if (previous && previous !== imageId()) docker('rmi', previous);
  }

  // --- up, healthy -----------------------------------------------------------------------------
  let t = Date.now();
  const up = compose('up', '-d');
  check(up.code === 0, `\`TQ_ENTRA_CONFIG_NAME=demo.yaml docker compose --profile demo up -d\` exited ${up.code}`);
  const rows = await until('every container healthy', 420_000, () => allHealthy(8));
  check(true, `all ${rows.length} containers running and healthy in ${since(t)}: ${rows.map((r) => r.Service).join(', ')}`);
  const appImages = new Set(rows.filter((r) => r.Service !== 'redis').map((r) => r.Image));
  check(appImages.size === 1 && appImages.has('threatq-entra-sync:local'), `every app container runs the one image (${[...appImages].join(', ')})`);
  const perService = docker('image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', '--filter', `reference=${project}-*`).out.trim();
  check(perService === '', `no per-service images (${perService || 'none'})`);

  // --- the scheduler's own run, before any manual step ---------------------------------------------
  // tq-east is scheduled `every: 1h`, which BullMQ starts at once: its first run and the reconcile it
  // triggers must reach Entra with nobody running `sync`.
  t = Date.now();
  const redisC = containerOf('redis');
  const hget = (key: string, field: string) => docker('exec', redisC, 'redis-cli', 'HGET', key, field).out.trim();
  const scheduled = await until('a scheduled tq-east run and its reconcile', 420_000, () => {
    const runId = docker('exec', redisC, 'redis-cli', 'GET', 'tq-entra-demo:state:last:source:tq-east%2F6d4c1f0e2b9a8c7d').out.trim();
    if (!runId || hget(`tq-entra-demo:state:run:${runId}`, 'status') !== 'succeeded') return undefined;
    const rec = docker('exec', redisC, 'redis-cli', 'GET', 'tq-entra-demo:state:last:target:demo-tenant').out.trim();
    if (!rec || hget(`tq-entra-demo:state:run:${rec}`, 'status') !== 'succeeded') return undefined;
    if (!hget(`tq-entra-demo:state:run:${rec}`, 'details').includes(runId)) return undefined;
    return { runId, trigger: hget(`tq-entra-demo:state:run:${runId}`, 'trigger'), reconcile: rec };
  });
  const entra0 = entraRanges();
  check(
    scheduled.trigger === 'schedule' && entra0.ranges > 0,
    `scheduled run ${scheduled.runId} (trigger ${scheduled.trigger}) and reconcile ${scheduled.reconcile} reached Entra with no manual step in ${since(t)}: ${entra0.ranges} ranges`,
  );

  // --- a sync ------------------------------------------------------------------------------------
  await sync('sync 1');
  const entra1 = entraRanges();
  check(entra1.ranges > 0, `Entra (Graph emulator) holds ${entra1.ranges} ranges in ${entra1.locations} named locations`);

  // --- endpoints ---------------------------------------------------------------------------------
  const get = async (path: string, withAuth: boolean): Promise<{ status: number; body: string }> => {
    const r = await fetch(`${dash}${path}`, withAuth ? { headers: { authorization: auth } } : {});
    return { status: r.status, body: await r.text() };
  };
  check((await get('/healthz', false)).status === 200, 'dashboard /healthz 200');
  check((await get('/readyz', false)).status === 200, 'dashboard /readyz 200');
  check((await get('/metrics', false)).status === 401, 'dashboard /metrics without credentials 401');
  const metrics = await get('/metrics', true);
  const graphLines = metrics.body.split('\n').filter((l) => l.startsWith('tq_entra_graph_requests_total{')).length;
  check(metrics.status === 200 && graphLines > 0, `dashboard /metrics 200 with user demo (${graphLines} tq_entra_graph_requests_total series)`);
  const board = await get('/queues', true);
  check(board.status === 200 && /<html/i.test(board.body), 'dashboard /queues (bull-board) 200 with user demo');
  const api = await get('/queues/api/queues', true);
  const names = ((JSON.parse(api.body) as { queues?: { name: string }[] }).queues ?? []).map((q) => q.name).sort();
  check(api.status === 200 && ['collect', 'ingest', 'reconcile'].every((n) => names.includes(n)), `dashboard API lists the queues ${names.join(', ')}`);
  for (const i of [1, 2]) {
    const c = containerOf('worker', i);
    const codes = ['/healthz', '/readyz', '/metrics'].map((p) => statusIn(c, `http://127.0.0.1:9464${p}`));
    check(codes.every((s) => s === 200), `${c} /healthz /readyz /metrics: ${codes.join(' ')}`);
  }

  // --- Graph emulator restart: same certificate, workers keep working --------------------------------
  const caHash = (): string => createHash('sha256').update(docker('exec', runningWorker(), 'cat', '/var/lib/tq-entra/graph-ca/ca.pem').out).digest('hex').slice(0, 16);
  const caBefore = caHash();
  t = Date.now();
  compose('restart', 'graph-emulator');
  await until('graph-emulator healthy', 180_000, () => allHealthy(8));
  const caAfter = caHash();
  check(caAfter === caBefore, `graph-emulator restarted in ${since(t)}: same CA certificate (sha256 ${caAfter}…)`);
  emulatorCall('POST', '/__emulator/reset'); // its state is in memory: start from an empty tenant
  const sync2At = new Date().toISOString();
  await sync('sync 2 after the Graph emulator restart (workers not restarted)');
  const workerLogs = [1, 2].map((i) => docker('logs', '--since', sync2At, containerOf('worker', i)).out).join('\n');
  check(!/DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT/.test(workerLogs), 'no certificate errors in the workers since the restart');
  check(!/ERR_METRICS_INPUT/.test(workerLogs), 'no metrics recording errors (ERR_METRICS_INPUT) in the workers');
  const metrics2 = await get('/metrics', true);
  const errSeries = metrics2.body.split('\n').filter((l) => l.startsWith('tq_entra_graph_requests_total{') && l.includes('status="ERR"'));
  const errCount = errSeries.reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  check(metrics2.status === 200, `/metrics after the restart: ${errCount} Graph requests without a response recorded as status="ERR"`);
  const entra2 = entraRanges();
  check(entra2.ranges === entra1.ranges, `Entra holds the same ${entra2.ranges} ranges again`);

  // --- scale to 3 --------------------------------------------------------------------------------
  t = Date.now();
  check(compose('up', '-d', '--no-recreate', '--scale', 'worker=3').code === 0, '`up -d --scale worker=3`');
  const scaled = await until('3 healthy workers', 240_000, () => {
    const all = allHealthy(9);
    return all && all.filter((r) => r.Service === 'worker').length === 3 ? all : undefined;
  });
  check(true, `${scaled.filter((r) => r.Service === 'worker').length} workers healthy in ${since(t)}`);

  // --- stop a worker in the middle of a reconcile ------------------------------------------------
  emulatorCall('POST', '/__emulator/reset'); // an empty tenant: the next reconcile rewrites every location at 1 request/s
  const sync3At = new Date().toISOString();
  const sync3 = sync('sync 3 (a worker is stopped during its reconcile)');
  const workers = [1, 2, 3].map((i) => containerOf('worker', i));
  const busy = await until('a worker to start the reconcile', 300_000, () =>
    workers.find((c) => /"message":"reconcile planned"/.test(docker('logs', '--since', sync3At, c).out)),
  );
  t = Date.now();
  const stopAt = new Date().toISOString();
  const stop = docker('stop', '--time', '60', busy);
  const exit = docker('inspect', '--format', '{{.State.ExitCode}}', busy).out.trim();
  const busyLogs = docker('logs', '--since', sync3At, busy).out.split('\n');
  const finishedAt = busyLogs.map((l) => (/"message":"reconcile finished"/.test(l) ? (/"timestamp":"([^"]+)"/.exec(l)?.[1] ?? '') : '')).find((x) => x !== '');
  check(finishedAt === undefined || finishedAt > stopAt, `the reconcile was still running when ${busy} got SIGTERM${finishedAt ? ' (it finished it before exiting)' : ' (another worker took it over)'}`);
  check(stop.code === 0 && exit === '0', `${busy} stopped mid-reconcile with SIGTERM: exit code ${exit} after ${since(t)}`);
  await sync3;
  const entra3 = entraRanges();
  check(entra3.ranges === entra1.ranges, `Entra holds all ${entra3.ranges} ranges after the interrupted reconcile`);
  compose('up', '-d', '--no-recreate', '--scale', 'worker=3');
  await until('3 healthy workers again', 240_000, () => allHealthy(9));

  // --- Redis restart: AOF keeps the data ---------------------------------------------------------
  const redis = containerOf('redis');
  const marker = randomBytes(8).toString('hex');
  docker('exec', redis, 'redis-cli', 'SET', 'tq-entra-smoke:marker', marker);
  const keysBefore = Number(docker('exec', redis, 'redis-cli', 'DBSIZE').out.trim());
  const planBefore = await composeAsync('run', '--rm', '--no-deps', '-T', 'worker', 'plan', '--target', 'demo-tenant', '--json');
  const aof = /aof_enabled:1/.test(docker('exec', redis, 'redis-cli', 'INFO', 'persistence').out);
  t = Date.now();
  compose('restart', 'redis');
  await until('Redis and the workers healthy after the restart', 240_000, () => allHealthy(9));
  const markerAfter = docker('exec', redis, 'redis-cli', 'GET', 'tq-entra-smoke:marker').out.trim();
  const keysAfter = Number(docker('exec', redis, 'redis-cli', 'DBSIZE').out.trim());
  check(aof && markerAfter === marker, `Redis restarted in ${since(t)} with AOF on: the marker key survived`);
  check(keysAfter >= keysBefore * 0.9, `keys before/after the restart: ${keysBefore}/${keysAfter}`);
  const planAfter = await composeAsync('run', '--rm', '--no-deps', '-T', 'worker', 'plan', '--target', 'demo-tenant', '--json');
  const planShape = (r: Run): string | undefined => {
    const json = r.stdout.slice(r.stdout.indexOf('{'));
    try {
      const p = JSON.parse(json) as { plan?: { summary?: { desired?: number; owned?: number; finalRanges?: number; writes?: number } } };
      const { desired, owned, finalRanges, writes } = p.plan?.summary ?? {};
      return desired === undefined ? undefined : JSON.stringify({ desired, owned, finalRanges, writes });
    } catch {
      return undefined;
    }
  };
  check(planBefore.code === 0 && planAfter.code === 0 && planShape(planAfter) !== undefined && planShape(planAfter) === planShape(planBefore), `\`plan --target demo-tenant\` is the same before and after (snapshots and owned ranges survived): ${planShape(planAfter)}`);
  await sync('sync 4 after the Redis restart');

  // --- a missing secret stops the dashboard only -------------------------------------------------
  composeEnv = { ...composeEnv, TQ_ENTRA_ENV_FILE: emptyEnvFile };
  t = Date.now();
  compose('up', '-d', '--no-deps', 'dashboard');
  const dashRow = await until('the dashboard to give up', 180_000, () => {
    const r = ps().find((x) => x.Service === 'dashboard');
    return r && r.State === 'exited' ? r : undefined;
  });
  const restarts = docker('inspect', '--format', '{{.RestartCount}}', containerOf('dashboard')).out.trim();
  const dashLogs = docker('logs', containerOf('dashboard')).out;
  const message = dashLogs.split('\n').find((l) => l.includes('DEMO_DASHBOARD_PASSWORD')) ?? '';
  check(dashRow.ExitCode === 2 && message !== '', `without DEMO_DASHBOARD_PASSWORD the dashboard stopped (exit ${dashRow.ExitCode}, ${restarts} restarts, ${since(t)}): ${message.trim().slice(0, 200)}`);
  const others = allHealthy(8, ['dashboard']);
  check(others !== undefined, `the other ${others?.length ?? 0} containers stay up and healthy`);
  composeEnv = { ...composeEnv, TQ_ENTRA_ENV_FILE: envFile };
  compose('up', '-d', '--no-deps', 'dashboard');
  await until('the dashboard healthy again', 180_000, () => allHealthy(9));
  check(true, 'the dashboard is back with its password');

  // --- stop: every container exits 0 on SIGTERM ------------------------------------------------------
  t = Date.now();
  compose('stop');
  const stopped = ps();
  const bad = stopped.filter((r) => r.ExitCode !== 0).map((r) => `${r.Name}=${r.ExitCode}`);
  check(stopped.length === 9 && bad.length === 0, `\`docker compose stop\` in ${since(t)}: ${stopped.length} containers, all exit code 0${bad.length ? ` (not: ${bad.join(', ')})` : ''}`);
}

async function teardown(): Promise<void> {
  if (args.keep) {
    print(`--keep: left running; remove with: docker compose -p ${project} --profile demo down -v`);
    return;
  }
  const res = compose('down', '-v', '--remove-orphans');
  const left = docker('ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`).out.trim();
  const vols = docker('volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`).out.trim();
  check(res.code === 0 && left === '' && vols === '', '`docker compose --profile demo down -v`: no container or volume left');
}

try {
  await main();
} catch (e) {
  failed++;
  print(`FAIL ${(e as Error).message}`);
  const logs = compose('logs', '--no-color', '--tail', '30');
  const health = ps()
    .map((r) => `${r.Name} ${r.State} ${r.Health}: ${docker('inspect', '--format', '{{json .State.Health}}', r.Name).out.trim()}`)
    .join('\n');
  writeFileSync(join(logDir, 'failure-logs.txt'), redact(`${health}\n\n${logs.out}`));
  print(`container logs: ${join(logDir, 'failure-logs.txt')}`);
} finally {
  await teardown();
  rmSync(secretDir, { recursive: true, force: true });
  print(`compose smoke test: ${passed} passed, ${failed} failed (commands and output: ${logFile})`);
  process.exitCode = failed === 0 ? 0 : 1;
}
