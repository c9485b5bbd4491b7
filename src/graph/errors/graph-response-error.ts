/** Graph answered 2xx with a body the client cannot read (not JSON, or missing required fields). */
import { GraphError } from './graph-error.ts';

export class GraphResponseError extends GraphError {
  constructor(method: string, path: string, problem: string) {
    super('ERR_GRAPH_RESPONSE', `Graph ${method} ${path}: unexpected response: ${problem}`, { details: { method, path } });
  }
}
