/**
 * What the What If guard asks Graph (pure; the requests are made by what-if-guard.ts). Only when the
 * target configures `safety.emergencyAccounts` or `safety.canaryUsers`; otherwise no evaluation at all.
 *
 * Addresses: a deterministic sample of `safety.whatIfSampleSize` blocked addresses — the first address
 * of ranges spread evenly over the desired ranges placed in the target (address order) — and the first
 * address of every `safety.neverBlock` entry.
 *
 * The simulated sign-in is the one the policy targets, varied only by user and address: its first
 * application id, else the Windows Azure Service Management API (797f4846-…, what an administrator
 * signs in to) when `All` or `MicrosoftAdminPortals` is included, else Exchange Online
 * (00000002-0000-0ff1-ce00-…) for `Office365`; its first client app type (`browser` for `all`); its first
 * included platform (`windows` when none, or the first not excluded); its first sign-in risk level.
 *
 * Checks (Graph requests = E×S + C×S + C×N for E emergency accounts, C canaries, S sampled and N
 * never-block addresses): an emergency account from a blocked address — the policy must not apply;
 * a canary from a blocked address — it must apply; a canary from a never-block address — it must not
 * apply (without canaries the never-block addresses are not evaluated: an emergency account is
 * already checked from blocked addresses).
 */
import type { TargetConfig } from '../config/schema.ts';
import { normalizeCidr } from '../ranges/index.ts';
import type { WhatIfCheck, WhatIfSignInShape } from './plan-types.ts';

const AZURE_MANAGEMENT = '797f4846-ba00-4fd7-ba43-dac1f8f63013';
const EXCHANGE_ONLINE = '00000002-0000-0ff1-ce00-000000000000';
const PLATFORM_ORDER = ['windows', 'macOS', 'iOS', 'android', 'linux', 'windowsPhone'];

/** The first address of a CIDR (canonical, so host bits are clear). */
function firstAddress(cidr: string): string | undefined {
  const canonical = normalizeCidr(cidr);
  return canonical === null ? undefined : canonical.slice(0, canonical.lastIndexOf('/'));
}

/** `size` ranges spread evenly over `ranges` (all of them when there are fewer), first addresses. */
export function sampleAddresses(ranges: readonly string[], size: number): string[] {
  const n = Math.min(size, ranges.length);
  const picked = new Set<string>();
  for (let i = 0; i < n; i += 1) {
    const addr = firstAddress(ranges[Math.floor((i * ranges.length) / n)] as string);
    if (addr !== undefined) picked.add(addr);
  }
  return [...picked];
}

function applicationOf(p: TargetConfig['policy']): string {
  const a = p.applications;
  const excluded = (id: string, suite: string) => a.excludeAppIds.some((x) => x.toLowerCase() === id) || (a.exclude as readonly string[]).includes(suite);
  if (a.includeAppIds[0] !== undefined) return a.includeAppIds[0];
  const inc = a.include as readonly string[];
  if ((inc.includes('All') || inc.includes('MicrosoftAdminPortals')) && !excluded(AZURE_MANAGEMENT, 'MicrosoftAdminPortals')) return AZURE_MANAGEMENT;
  return EXCHANGE_ONLINE;
}

function platformOf(p: TargetConfig['policy']): string {
  const exc = p.platforms.exclude as readonly string[];
  const inc = (p.platforms.include as readonly string[]).filter((x) => x !== 'all');
  return [...inc, ...PLATFORM_ORDER].find((x) => !exc.includes(x) && !exc.includes('all')) ?? 'windows';
}

/** The sign-in the policy targets (see the header). */
export function signInShape(p: TargetConfig['policy']): WhatIfSignInShape {
  const shape: WhatIfSignInShape = {
    applicationId: applicationOf(p),
    clientAppType: p.clientAppTypes.includes('all') ? 'browser' : (p.clientAppTypes[0] ?? 'browser'),
    devicePlatform: platformOf(p),
  };
  if (p.signInRiskLevels[0] !== undefined) shape.signInRiskLevel = p.signInRiskLevels[0];
  return shape;
}

/** The checks of one target, in request order; empty when neither emergency accounts nor canaries are configured. */
export function whatIfChecks(target: TargetConfig, placed: readonly string[]): WhatIfCheck[] {
  const { emergencyAccounts, canaryUsers, neverBlock, whatIfSampleSize } = target.safety;
  if (emergencyAccounts.length === 0 && canaryUsers.length === 0) return [];
  const blocked = sampleAddresses(placed, whatIfSampleSize);
  const never = [...new Set(neverBlock.flatMap((c) => firstAddress(c) ?? []))];
  return [
    ...emergencyAccounts.flatMap((userId) => blocked.map((ipAddress) => ({ check: 'emergency' as const, userId, ipAddress, expectApplies: false }))),
    ...canaryUsers.flatMap((userId) => blocked.map((ipAddress) => ({ check: 'canary' as const, userId, ipAddress, expectApplies: true }))),
    ...canaryUsers.flatMap((userId) => never.map((ipAddress) => ({ check: 'neverBlock' as const, userId, ipAddress, expectApplies: false }))),
  ];
}
