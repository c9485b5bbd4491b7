/**
 * Notifications, the pure parts: the `notify:` configuration (defaults, names, refusals naming the
 * key), webhook URLs registered as secrets, conditions (dedup keys), thresholds, and the body of each
 * kind (generic webhook, Slack, Teams Adaptive Card) for every event of the closed union.
 */
import { describe, expect, it } from 'vitest';
import { NOTIFY_EVENT_KINDS } from '../../src/config/schema.ts';
import { redactString } from '../../src/observability/secrets.ts';
import { conditionOf, decodeNotifyEvent, qualifies, type NotifyEvent } from '../../src/notify/notify-events.ts';
import { describeEvent, formatNotification } from '../../src/notify/notify-format.ts';
import { baseTarget, configFrom, configProblems } from '../helpers/config-fixtures.ts';

const EVENTS: Record<NotifyEvent['kind'], NotifyEvent> = {
  'run-failed': { kind: 'run-failed', run: 'collect', name: 'tq-east', collection: 'c1', runId: 'r1', code: 'ERR_SOURCE_NOT_A_BLOCKLIST', message: 'not a list' },
  'run-refused': { kind: 'run-refused', target: 'corp', runId: 'r2', code: 'ERR_SAFETY_EMPTY', message: 'empty' },
  'large-change': { kind: 'large-change', target: 'corp', runId: 'r3', added: 300, removed: 250 },
  'capacity-high': { kind: 'capacity-high', target: 'corp', runId: 'r4', ranges: 19_000, capacity: 20_000 },
  'kill-switch': { kind: 'kill-switch', target: 'corp', action: 'engaged', policyState: 'disabled', by: 'alice', reason: 'partner blocked' },
  rollback: { kind: 'rollback', target: 'corp', toRun: 'reconcile-1', added: 3, removed: 1, by: 'bob' },
  'what-if-surprise': { kind: 'what-if-surprise', target: 'corp', surprises: ['emergency account 0000 would be blocked from 203.0.113.9'], enforced: false },
};

const thresholds = { events: undefined, largeChange: 500, capacityPercent: 90 };

describe('notify configuration', () => {
  it('defaults: name <kind>-<n>, all events, largeChange 500, capacityPercent 90, window 1h, 6 attempts from 10s; none configured: []', () => {
    const c = configFrom({ targets: [baseTarget()], notify: [{ kind: 'slack', url: 'https://hooks.slack.com/services/T0/B0/abcdefghijkl' }, { name: 'ops', kind: 'teams', url: 'https://example.org/w?sig=zzzzzzzz' }] });
    expect(c.notify[0]).toEqual({ name: 'slack-1', kind: 'slack', url: 'https://hooks.slack.com/services/T0/B0/abcdefghijkl', largeChange: 500, capacityPercent: 90, window: 3_600_000, attempts: 6, backoff: 10_000 });
    expect(c.notify[1]?.name).toBe('ops');
    expect(configFrom({ targets: [baseTarget()] }).notify).toEqual([]);
  });

  it('refuses a bad kind, URL, event, threshold, window and a duplicate name, naming the key', () => {
    const problems = configProblems(() =>
      configFrom({
        targets: [baseTarget()],
        notify: [
          { kind: 'email', url: 'https://x.example' },
          { kind: 'slack', url: 'ftp://x.example/h' },
          { kind: 'webhook', url: 'https://x.example/h', events: ['run-exploded'], largeChange: 0, capacityPercent: 101, window: '0s' },
        ],
      }),
    );
    expect(problems).toEqual([
      'notify[0].kind: expected one of webhook, slack, teams',
      'notify[1].url: expected an absolute http:// or https:// URL',
      `notify[2].events[0]: expected one of ${NOTIFY_EVENT_KINDS.join(', ')}`,
      'notify[2].largeChange: expected a number of at least 1',
      'notify[2].capacityPercent: expected a number of at most 100',
      'notify[2].window: expected a duration such as "15m", "1h" or "1d" (a number and one of ms, s, m, h, d), got "0s"',
    ]);
    const dup = [{ name: 'a', kind: 'webhook', url: 'https://x.example/a' }, { name: 'a', kind: 'webhook', url: 'https://x.example/b' }];
    expect(configProblems(() => configFrom({ targets: [baseTarget()], notify: dup }))).toEqual(['notify[1].name: duplicate notify target name "a"']);
  });

  it('registers every webhook URL as a secret: as written, normalised, its path and its query values', () => {
    configFrom({ targets: [baseTarget()], notify: [{ kind: 'slack', url: 'https://hooks.slack.com/services/T0AAA/B0BBB/SlackTok3nValue' }, { kind: 'teams', url: 'https://prod.example.org/workflows/run?sig=TeamsSig4tureValue&v=1' }] });
    const line = redactString('posting to https://hooks.slack.com/services/T0AAA/B0BBB/SlackTok3nValue failed; path /services/T0AAA/B0BBB/SlackTok3nValue; sig TeamsSig4tureValue');
    expect(line).not.toContain('SlackTok3nValue');
    expect(line).not.toContain('TeamsSig4tureValue');
    expect(line).toContain('[REDACTED]');
  });
});

describe('notify events', () => {
  it('one condition per target and kind; the kill switch engaged and released are two conditions; a rollback per run', () => {
    expect(conditionOf(EVENTS['large-change'])).toBe('large-change:corp');
    expect(conditionOf({ ...EVENTS['large-change'], runId: 'other', added: 1 } as NotifyEvent)).toBe('large-change:corp');
    expect(conditionOf(EVENTS['run-failed'])).toBe('run-failed:collect:tq-east/c1');
    expect(conditionOf({ kind: 'run-failed', run: 'reconcile', name: 'a b', code: 'X', message: 'm' })).toBe('run-failed:reconcile:a%20b');
    expect(conditionOf(EVENTS['kill-switch'])).not.toBe(conditionOf({ ...EVENTS['kill-switch'], action: 'released' } as NotifyEvent));
    expect(conditionOf(EVENTS.rollback)).toBe('rollback:corp:reconcile-1');
  });

  it('thresholds: added + removed above largeChange; capacity above capacityPercent; the events filter', () => {
    expect(qualifies({ kind: 'large-change', target: 't', runId: 'r', added: 250, removed: 250 }, thresholds)).toBe(false);
    expect(qualifies({ kind: 'large-change', target: 't', runId: 'r', added: 250, removed: 251 }, thresholds)).toBe(true);
    expect(qualifies({ kind: 'capacity-high', target: 't', runId: 'r', ranges: 18_000, capacity: 20_000 }, thresholds)).toBe(false);
    expect(qualifies({ kind: 'capacity-high', target: 't', runId: 'r', ranges: 18_001, capacity: 20_000 }, thresholds)).toBe(true);
    expect(qualifies(EVENTS['run-failed'], { ...thresholds, events: ['run-refused'] })).toBe(false);
    expect(qualifies(EVENTS['run-refused'], { ...thresholds, events: ['run-refused'] })).toBe(true);
  });

  it('decodes a known kind and refuses an unknown one (ERR_NOTIFY_UNKNOWN_TARGET, final)', () => {
    expect(decodeNotifyEvent(EVENTS.rollback)).toEqual(EVENTS.rollback);
    expect(() => decodeNotifyEvent({ kind: 'meteor-strike' })).toThrow(/unknown kind "meteor-strike"/);
  });
});

describe('notify bodies', () => {
  const at = '2026-11-30T03:00:00.000Z';
  for (const event of Object.values(EVENTS)) {
    it(`${event.kind}: webhook JSON, Slack text + blocks, Teams Adaptive Card`, () => {
      const d = describeEvent(event, thresholds);
      expect(d.title).toContain(event.kind === 'run-failed' ? 'tq-east' : 'corp');
      const hook = formatNotification({ kind: 'webhook', ...thresholds }, event, at) as any;
      expect(hook).toMatchObject({ service: 'threatq-entra-sync', event: event.kind, title: d.title, text: d.text, severity: d.severity, at, data: event });
      const slack = formatNotification({ kind: 'slack', ...thresholds }, event, at) as any;
      expect(slack.text).toBe(`${d.title}: ${d.text}`);
      expect(slack.blocks.map((b: any) => b.type)).toEqual(['header', 'section', 'context']);
      expect(slack.blocks[0].text).toEqual({ type: 'plain_text', text: d.title });
      const teams = formatNotification({ kind: 'teams', ...thresholds }, event, at) as any;
      expect(teams.type).toBe('message');
      expect(teams.attachments).toHaveLength(1);
      expect(teams.attachments[0].contentType).toBe('application/vnd.microsoft.card.adaptive');
      expect(teams.attachments[0].content).toMatchObject({ type: 'AdaptiveCard', version: '1.4' });
      expect(teams.attachments[0].content.body[0]).toMatchObject({ type: 'TextBlock', text: d.title });
      expect(teams.attachments[0].content.body[2].facts).toEqual(d.facts.map(([title, value]) => ({ title, value })));
    });
  }

  it('says what happened in numbers: a large change, capacity in percent with the threshold', () => {
    expect(describeEvent(EVENTS['large-change'], thresholds).text).toBe('One reconcile added 300 and removed 250 range(s) (more than 500 in one run).');
    expect(describeEvent(EVENTS['capacity-high'], thresholds).title).toBe('Capacity high: corp at 95.0%');
    expect(describeEvent({ ...EVENTS['kill-switch'], action: 'released', policyState: 'enabled' } as NotifyEvent, thresholds)).toMatchObject({ title: 'Kill switch released: corp', severity: 'info' });
  });
});
