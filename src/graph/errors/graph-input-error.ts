/** The caller asked the Graph client to send something Graph would refuse (bad CIDR, too many ranges). */
import { GraphError } from './graph-error.ts';

export class GraphInputError extends GraphError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('ERR_GRAPH_INPUT', message, { details });
  }
}
