/**
 * What a notification says (`describeEvent`: a title, a line of text, a severity and facts) and the
 * body each kind of `notify:` target takes (`formatNotification`):
 *
 *   webhook  generic JSON: { service, event, severity, title, text, at, facts, data } (`data`: the event)
 *   slack    Slack incoming webhook: { text, blocks } (header, section in mrkdwn, fields, context);
 *            `text` is the fallback shown in notifications
 *   teams    Microsoft Teams incoming webhook of a Workflows (Power Automate) flow: a message with one
 *            Adaptive Card (1.4) attachment: { type: 'message', attachments: [{ contentType:
 *            'application/vnd.microsoft.card.adaptive', content: AdaptiveCard }] }. Adaptive Card, not
 *            the legacy MessageCard: Office 365 connectors (which took MessageCard) are being retired
 *            by Microsoft in favour of Workflows, which take Adaptive Cards.
 *
 * Bodies hold what the event holds (names, counts, codes, secret-free messages); never a URL.
 */
import type { NotifyKind, NotifyTargetConfig } from '../config/schema.ts';
import { capacityPercentOf, type NotifyEvent } from './notify-events.ts';

export type Severity = 'info' | 'warning' | 'error';

export interface EventDescription {
  title: string;
  text: string;
  severity: Severity;
  facts: [name: string, value: string][];
}

const SERVICE = 'threatq-entra-sync';

/** The facts among `pairs` that have a value. */
function facts(...pairs: [name: string, value: string | number | undefined][]): [string, string][] {
  return pairs.flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)] as [string, string]]));
}

/** Title, text, severity and facts of an event, with the thresholds of the target it goes to. */
export function describeEvent(event: NotifyEvent, target: Pick<NotifyTargetConfig, 'largeChange' | 'capacityPercent'>): EventDescription {
  switch (event.kind) {
    case 'run-failed': {
      const what = event.run === 'collect' ? `collect of ${event.name}${event.collection === undefined ? '' : ` / ${event.collection}`}` : `reconcile of ${event.name}`;
      return { title: `Run failed: ${what}`, text: event.message, severity: 'error', facts: facts(['Error code', event.code], ['Run', event.runId]) };
    }
    case 'run-refused':
      return { title: `Reconcile refused (safety check): ${event.target}`, text: `${event.message} Nothing was written to Entra.`, severity: 'warning', facts: facts(['Error code', event.code], ['Run', event.runId]) };
    case 'large-change':
      return {
        title: `Large change: ${event.target}`,
        text: `One reconcile added ${event.added} and removed ${event.removed} range(s) (more than ${target.largeChange} in one run).`,
        severity: 'warning',
        facts: facts(['Added', event.added], ['Removed', event.removed], ['Run', event.runId]),
      };
    case 'capacity-high': {
      const pct = capacityPercentOf(event).toFixed(1);
      return {
        title: `Capacity high: ${event.target} at ${pct}%`,
        text: `The target holds ${event.ranges} of ${event.capacity} range(s) (above ${target.capacityPercent}%); when full, the lowest-priority ranges are left out.`,
        severity: 'warning',
        facts: facts(['Ranges', event.ranges], ['Capacity', event.capacity], ['Run', event.runId]),
      };
    }
    case 'kill-switch':
      return event.action === 'engaged'
        ? { title: `Kill switch engaged: ${event.target}`, text: `Blocking stopped: the policy is now ${event.policyState}.`, severity: 'warning', facts: facts(['Policy state', event.policyState], ['By', event.by], ['Reason', event.reason]) }
        : { title: `Kill switch released: ${event.target}`, text: `Blocking restored: the policy is back to ${event.policyState}.`, severity: 'info', facts: facts(['Policy state', event.policyState], ['By', event.by], ['Reason', event.reason]) };
    case 'rollback':
      return {
        title: `Rollback: ${event.target}`,
        text: `The target was put back to what run ${event.toRun} left.`,
        severity: 'warning',
        facts: facts(['To run', event.toRun], ['Added', event.added], ['Removed', event.removed], ['By', event.by], ['Reason', event.reason]),
      };
    case 'what-if-surprise':
      return {
        title: `What If surprise: ${event.target}`,
        text: `${event.enforced ? 'The enforced policy would not behave as expected (nothing was changed: check it now)' : 'Enabling the policy was refused'}: ${event.surprises.join('; ')}`,
        severity: 'error',
        facts: facts(['Surprises', event.surprises.length], ['Policy enforced', event.enforced ? 'yes' : 'no']),
      };
    default: {
      const never: never = event;
      throw new Error(`unhandled notify event: ${String((never as { kind?: unknown }).kind)}`);
    }
  }
}

const EMOJI: Record<Severity, string> = { info: ':information_source:', warning: ':warning:', error: ':rotating_light:' };

function slackBody(d: EventDescription, event: NotifyEvent, at: string): unknown {
  const fields = d.facts.map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}*\n${v}` }));
  return {
    text: `${d.title}: ${d.text}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: d.title.slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: `${EMOJI[d.severity]} ${d.text}`.slice(0, 3000) }, ...(fields.length > 0 ? { fields: fields.slice(0, 10) } : {}) },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${SERVICE} · ${event.kind} · ${at}` }] },
    ],
  };
}

const TEAMS_COLOR: Record<Severity, string> = { info: 'Accent', warning: 'Warning', error: 'Attention' };

function teamsBody(d: EventDescription, event: NotifyEvent, at: string): unknown {
  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: d.title, weight: 'Bolder', size: 'Medium', color: TEAMS_COLOR[d.severity], wrap: true },
      { type: 'TextBlock', text: d.text, wrap: true },
      { type: 'FactSet', facts: d.facts.map(([title, value]) => ({ title, value })) },
      { type: 'TextBlock', text: `${SERVICE} · ${event.kind} · ${at}`, isSubtle: true, size: 'Small', wrap: true },
    ],
  };
  return { type: 'message', attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }] };
}

/** The JSON body of a notification of `event` (raised at `at`) for a target of `target.kind`. */
export function formatNotification(target: Pick<NotifyTargetConfig, 'kind' | 'largeChange' | 'capacityPercent'>, event: NotifyEvent, at: string): unknown {
  const d = describeEvent(event, target);
  const kind: NotifyKind = target.kind;
  switch (kind) {
    case 'webhook':
      return { service: SERVICE, event: event.kind, severity: d.severity, title: d.title, text: d.text, at, facts: Object.fromEntries(d.facts), data: event };
    case 'slack':
      return slackBody(d, event, at);
    case 'teams':
      return teamsBody(d, event, at);
    default: {
      const never: never = kind;
      throw new Error(`unhandled notify kind: ${String(never)}`);
    }
  }
}
