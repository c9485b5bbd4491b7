/**
 * The events the service notifies about: a closed union (every switch over `kind` ends in a `never`
 * check), each with the condition it reports (`conditionOf`: the dedup key: one message per condition
 * per notify target per window) and whether a notify target's thresholds let it through (`qualifies`).
 *
 *   run-failed        a collect or reconcile run failed for good (attempts used up, or a final error)
 *   run-refused       a reconcile refused to write (a safety check: empty feed, mass removal, …)
 *   large-change      one reconcile added + removed more ranges than the target's `largeChange`
 *   capacity-high     a target holds more than `capacityPercent` % of maxLocations × maxRangesPerLocation
 *   kill-switch       enforcement stopped (`engaged`) or restored (`released`) for a target
 *   rollback          a target was put back to what an earlier run left
 *   what-if-surprise  the What If evaluation found the policy would apply where it must not (or not
 *                     where it must)
 *
 * Events carry names, counts, codes and secret-free messages only (they travel in job data). The
 * names of the kinds are config/schema.ts NOTIFY_EVENT_KINDS (a target's `events` filter).
 */
import { NOTIFY_EVENT_KINDS, type NotifyEventKind, type NotifyTargetConfig } from '../config/schema.ts';
import { NotifyUnknownTargetError } from './errors/notify-unknown-target-error.ts';

export type RunFailedEvent = {
  kind: 'run-failed';
  run: 'collect' | 'reconcile';
  /** The source (collect) or target (reconcile). */
  name: string;
  collection?: string;
  runId?: string;
  code: string;
  /** Secret-free (workers/job-signals.ts describeError). */
  message: string;
};

export type RunRefusedEvent = { kind: 'run-refused'; target: string; runId?: string; code: string; message: string };

export type LargeChangeEvent = { kind: 'large-change'; target: string; runId: string; added: number; removed: number };

export type CapacityHighEvent = {
  kind: 'capacity-high';
  target: string;
  runId: string;
  /** Ranges held in the target's named locations after the run. */
  ranges: number;
  /** maxLocations × maxRangesPerLocation. */
  capacity: number;
};

export type KillSwitchEvent = {
  kind: 'kill-switch';
  target: string;
  action: 'engaged' | 'released';
  /** The policy state set (engaged: disabled or report-only; released: the configured state). */
  policyState: string;
  by?: string;
  reason?: string;
};

export type RollbackEvent = { kind: 'rollback'; target: string; toRun: string; added?: number; removed?: number; by?: string; reason?: string };

export type WhatIfSurpriseEvent = {
  kind: 'what-if-surprise';
  target: string;
  /** One line per surprise (who, from which address, what the evaluation said). */
  surprises: string[];
  /** true: the policy is already enforced (nothing was changed: alert only); false: an enable was refused. */
  enforced: boolean;
};

export type NotifyEvent = RunFailedEvent | RunRefusedEvent | LargeChangeEvent | CapacityHighEvent | KillSwitchEvent | RollbackEvent | WhatIfSurpriseEvent;

// Every kind of the union is a configurable event kind, and the other way round.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _kindsAgree: Same<NotifyEvent['kind'], NotifyEventKind> = true;
void _kindsAgree;

const enc = encodeURIComponent;

/** The condition an event reports: the dedup key of one notify target's window. */
export function conditionOf(event: NotifyEvent): string {
  switch (event.kind) {
    case 'run-failed':
      return `run-failed:${event.run}:${enc(event.name)}${event.collection === undefined ? '' : `/${enc(event.collection)}`}`;
    case 'run-refused':
    case 'large-change':
    case 'capacity-high':
    case 'what-if-surprise':
      return `${event.kind}:${enc(event.target)}`;
    case 'kill-switch':
      return `kill-switch:${enc(event.target)}:${event.action}`;
    case 'rollback':
      return `rollback:${enc(event.target)}:${enc(event.toRun)}`;
    default: {
      const never: never = event;
      throw new Error(`unhandled notify event: ${String((never as { kind?: unknown }).kind)}`);
    }
  }
}

/** A target's share of its capacity in percent (0 for a target with no capacity). */
export function capacityPercentOf(event: Pick<CapacityHighEvent, 'ranges' | 'capacity'>): number {
  return event.capacity > 0 ? (100 * event.ranges) / event.capacity : 0;
}

/** Whether `target` wants `event`: its `events` filter, and for the two threshold conditions, its threshold. */
export function qualifies(event: NotifyEvent, target: Pick<NotifyTargetConfig, 'events' | 'largeChange' | 'capacityPercent'>): boolean {
  if (target.events !== undefined && !target.events.includes(event.kind)) return false;
  if (event.kind === 'large-change') return event.added + event.removed > target.largeChange;
  if (event.kind === 'capacity-high') return capacityPercentOf(event) > target.capacityPercent;
  return true;
}

/**
 * An event read back from job data: its kind must be one this version knows (the fields were written
 * by `notify` of the same service; a job from a newer version with an unknown kind fails at once).
 */
export function decodeNotifyEvent(data: { readonly kind: string } & Readonly<Record<string, unknown>>): NotifyEvent {
  if (!(NOTIFY_EVENT_KINDS as readonly string[]).includes(data.kind)) {
    throw new NotifyUnknownTargetError(`a queued notification holds an event of unknown kind ${JSON.stringify(data.kind)} (expected one of ${NOTIFY_EVENT_KINDS.join(', ')})`);
  }
  return data as unknown as NotifyEvent;
}
