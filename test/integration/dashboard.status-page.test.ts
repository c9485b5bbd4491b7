/**
 * The status page in a real headless browser (Debian's chromium; the test fails when it is missing).
 * As deployed: a worker and the dashboard (basic auth) as separate OS processes on one Redis; a sync of
 * two file sources onto the Graph emulator; then chromium loads /status/targets/corp with the
 * credentials in the URL and the test reads the DOM it dumps: the policy state, the named locations
 * (three shards at two ranges each) with their capacity, the sources' accepted and rejected counts by
 * reason, the last reconcile's writes, the 429 state, the kill switch and history placeholders. The
 * location name and an indicator line carry markup that would set an attribute on <body> if it ever
 * ran: the DOM must show them as text only. A screenshot must be a real PNG of the window's size.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startPipelineEnv, type PipelineEnv } from '../helpers/pipeline-env.ts';
import { startCliProcess, type CliProcess } from '../helpers/cli-process.ts';
import { loadPage } from '../helpers/chromium.ts';

const PASSWORD = 'status p@ss:word';
const EVIL_NAME = `TQ <img src=x onerror="document.body.setAttribute('data-pwned','name')"> Blocked`;
/** One token (a file source reads the first of a line): markup that would set an attribute when parsed as HTML. */
const EVIL_LINE = `<svg/onload=document.body.setAttribute('data-pwned','line')>`;

let env: PipelineEnv | undefined;
const procs: CliProcess[] = [];
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await env?.close();
  env = undefined;
});

/** The dumped DOM with tags removed and whitespace collapsed: what a reader sees. */
function visibleText(dom: string): string {
  return dom
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .replace(/ ([,.:])/g, '$1');
}

function pngSize(path: string): { width: number; height: number } {
  const b = readFileSync(path);
  expect(b.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
  expect(b.subarray(12, 16).toString('ascii')).toBe('IHDR');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

async function syncedEnv(): Promise<{ e: PipelineEnv; base: string; authed: string }> {
  const e = await startPipelineEnv({
    files: [
      { name: 'feed-a', lines: ['45.10.1.7', '45.10.2.0/24', '45.10.3.9', '10.1.2.3', EVIL_LINE] },
      { name: 'feed-b', lines: ['2a02:8:0:21::a1c', '198.51.77.0/24', '45.10.9.1', '91.200.12.0/24'] },
    ],
    config: { pipeline: { reconcileWindow: '1s' } },
    target: { namedLocation: { name: EVIL_NAME, maxRangesPerLocation: 2, maxLocations: 4 }, policy: { name: 'TQ Block', state: 'enabledForReportingButNotEnforced' } },
  });
  env = e;
  const doc = parse(readFileSync(e.configPath, 'utf8')) as Record<string, unknown>;
  writeFileSync(e.configPath, stringify({ ...doc, dashboard: { username: 'ops', password: PASSWORD } }));
  const dashboard = startCliProcess('dashboard', ['dashboard', '--config', e.configPath, '--port', '0'], { REDIS_URL: e.redis.url });
  procs.push(dashboard);
  await Promise.all([e.startWorker(), dashboard.waitFor(/status: +http/)]);
  const synced = await e.cli(['sync', '--target', 'corp', '--wait']);
  expect(synced.code, synced.stdout + synced.stderr).toBe(0);
  const base = /status: +(http:\/\/[^/\s]+)/.exec(dashboard.output())?.[1] ?? '';
  const authed = base.replace('http://', `http://ops:${encodeURIComponent(PASSWORD)}@`);
  return { e, base, authed };
}

describe('dashboard status page in headless chromium', () => {
  it('shows policy state, locations with capacity, source counts and the last reconcile; escapes untrusted text; screenshots', async () => {
    const { e, base, authed } = await syncedEnv();
    const off = await e.cli(['disable', '--target', 'corp', '--reason', 'INC-4711 partner blocked', '--by', 'alice']);
    expect(off.code, off.stderr).toBe(0);
    const targetUrl = `${authed}/status/targets/corp`;
    const shot = join(e.dir, 'status.png');
    const dom = await loadPage(targetUrl, { screenshot: { path: shot, width: 1280, height: 1600 } });
    const text = visibleText(dom);

    // Untrusted text is text: no element came from it and nothing ran.
    expect(dom).not.toMatch(/<body[^>]*data-pwned/);
    expect(dom).not.toMatch(/<img[\s/>]/i);
    // The only drawing is the history chart (the sync was recorded: one point, 7 ranges).
    expect((dom.match(/<svg[\s>]/g) ?? []).length).toBe(1);
    expect(dom).toMatch(/<section id="history"><h2>Ranges over time<\/h2><svg/);
    expect(text).toContain(`${EVIL_NAME} (2)`);
    expect(text).toContain(EVIL_LINE);

    expect(text).toContain('Policy TQ Block: report-only (enabledForReportingButNotEnforced) as of the last applied reconcile');
    expect(text).toContain('Kill switch ENGAGED: the policy is held disabled by alice since');
    expect(text).toContain('INC-4711 partner blocked');
    expect(text).not.toContain('history: not recorded yet');
    // 7 ranges in shards of 2: four locations, 7 of 8 ranges of capacity; each shard's list collapsed.
    expect(text).toContain('4 of 4 locations');
    expect(text).toContain('7 / 8 (87.5%)');
    for (const shard of [EVIL_NAME, `${EVIL_NAME} (2)`, `${EVIL_NAME} (3)`]) expect(text).toContain(`${shard} 2 / 2 (100.0%) 2 ranges`);
    expect(text).toContain(`${EVIL_NAME} (4) 1 / 2 (50.0%) 1 range`);
    expect(dom).toContain('<li>198.51.77.0/24</li>');
    expect((dom.match(/<details>/g) ?? []).length).toBe(4);
    expect(dom).toContain('<span class="fill full" style="width:100.0%">');

    // Per source: accepted, rejected by reason (with the offending lines), status.
    expect(text).toMatch(/feed-a \/ \S+feed-a\.txt Last run \S+ \(cli\): succeeded/);
    expect(text).toContain('accepted 3, rejected 2');
    expect(text).toMatch(/RESERVED: 1 line 4: 10\.1\.2\.3/);
    expect(text).toContain(`NOT_AN_ADDRESS: 1 line 5: ${EVIL_LINE}`);
    expect(text).toContain('accepted 4, rejected 0');

    expect(text).toMatch(/Last reconcile Run \S+ \(cli\): succeeded/);
    expect(text).toContain('added 7, removed 0, ranges after 7; Graph writes 5');
    expect(text).toContain(`${EVIL_NAME} (4) create 1`);
    expect(text).toMatch(/No 429 pause for tenant [0-9a-f-]{36} \(429s in a row: 0\)/);

    // The index (plain HTTP: the same server-rendered HTML) links every target; no credentials, no page.
    const anonymous = await fetch(`${base}/status/targets/corp`);
    expect(anonymous.status).toBe(401);
    const indexRes = await fetch(`${base}/status`, { headers: { authorization: `Basic ${Buffer.from(`ops:${PASSWORD}`).toString('base64')}` } });
    expect(indexRes.headers.get('content-security-policy')).toContain("default-src 'none'");
    const indexDom = await indexRes.text();
    const index = visibleText(indexDom);
    expect(index).toContain('corp enabledForReportingButNotEnforced 7 / 8 (87.5%) succeeded');
    expect(indexDom).toContain('href="/status/targets/corp"');

    expect(pngSize(shot)).toEqual({ width: 1280, height: 1600 });
    expect(statSync(shot).size).toBeGreaterThan(20_000);
  }, 180_000);
});
