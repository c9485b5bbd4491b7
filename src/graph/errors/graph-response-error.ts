/** Graph answered 2xx with a body the client cannot read (not JSON, or missing required fields). */
import { SyncError } from '../../errors/sync-error.ts';

export class GraphResponseError extends SyncError {
  constructor(method: string, path: string, problem: string) {
    super('ERR_GRAPH_RESPONSE', `Graph ${method} ${path}: unexpected response: ${problem}`, { details: { method, path } });
  }
}
