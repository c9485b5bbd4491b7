/** Graph answered 403: the app registration lacks the application permissions. Not retried. */
import { GraphHttpError, describeGraphFailure, type GraphErrorInfo } from './graph-http-error.ts';

export const REQUIRED_GRAPH_PERMISSIONS = ['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess'] as const;

export class GraphPermissionError extends GraphHttpError {
  constructor(info: GraphErrorInfo) {
    super(
      info,
      'ERR_GRAPH_FORBIDDEN',
      `${describeGraphFailure(info)}. The app registration needs the Microsoft Graph application permissions ` +
        `${REQUIRED_GRAPH_PERMISSIONS.join(' and ')}, with admin consent granted in the tenant.`,
    );
  }
}
