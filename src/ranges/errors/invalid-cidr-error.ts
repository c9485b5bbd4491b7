/**
 * A set operation (mergeCidrs, subtractCidrs, diffCidrs, mergeWeighted) was given text that is not a
 * CIDR or address. These functions take lists the service built itself (canonical CIDRs, the
 * configured never-block list, Graph's echo), so bad text there is a caller bug or bad configuration,
 * not feed noise: it is thrown, naming the value and the reason code. Indicator values go through
 * parseIndicator / RangeAccumulator instead, which never throw.
 */
import { SyncError } from '../../errors/sync-error.ts';
import { REJECT_REASONS, type RejectCode } from '../reason-codes.ts';

export class InvalidCidrError extends SyncError {
  readonly value: string;
  readonly reason: RejectCode;

  constructor(value: string, reason: RejectCode, where = 'CIDR list') {
    const shown = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
    super('ERR_RANGE_INVALID_CIDR', `${where}: ${shown} is not a valid CIDR: ${REJECT_REASONS[reason]} (${reason})`, {
      details: { reason },
    });
    this.value = value;
    this.reason = reason;
  }
}
