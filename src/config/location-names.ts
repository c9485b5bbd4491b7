/**
 * Names of a target's named locations ("shards"): shard 1 is `<name>`, shard k ≥ 2 is `<name> (k)`.
 * Matching is exact (Entra display names are case-preserving and not unique; a location named
 * `<Name>` with another case is someone else's). Names are made here and read back only from what
 * Graph lists; within a plan a shard travels as its index (LocationRef, location-ref.ts).
 */
export function shardName(base: string, index: number): string {
  return index === 1 ? base : `${base} (${index})`;
}

/** The shard index of a display name for this base name, or undefined when it is not one of ours. */
export function shardIndexOf(base: string, displayName: string): number | undefined {
  if (displayName === base) return 1;
  if (!displayName.startsWith(`${base} (`) || !displayName.endsWith(')')) return undefined;
  const digits = displayName.slice(base.length + 2, -1);
  if (!/^[1-9]\d{0,3}$/.test(digits)) return undefined;
  const n = Number(digits);
  return n >= 2 ? n : undefined;
}
