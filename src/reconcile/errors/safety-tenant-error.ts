/**
 * The Graph token belongs to another tenant than the target's configured `tenantId` (a credential
 * copied from another target, a wrong authority): writing would change the wrong directory. Never
 * overridable. Nothing is written.
 */
import { SafetyError } from './safety-error.ts';

export class SafetyTenantError extends SafetyError {
  constructor(target: string, configured: string, actual: string) {
    super(
      'ERR_SAFETY_TENANT',
      `refusing to reconcile target "${target}": the Graph token is for tenant ${actual || '(none)'} ` +
        `but the target's tenantId is ${configured} (nothing was written; check the credential)`,
      { details: { target, configuredTenant: configured, tokenTenant: actual } },
    );
  }
}
