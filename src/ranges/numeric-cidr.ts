/**
 * Text <-> numeric CIDR for the set operations: parse any CIDR or address text (cidr-syntax.ts rules:
 * IPv4-mapped becomes IPv4, host bits cleared) into a CidrStore, or throw InvalidCidrError.
 */
import { CidrStore } from './cidr-store.ts';
import { parseCidrSyntax, type CidrSyntaxOk } from './cidr-syntax.ts';
import { InvalidCidrError } from './errors/invalid-cidr-error.ts';

/** Parse or throw InvalidCidrError naming the value. */
export function parseCidrOrThrow(text: string, where?: string): CidrSyntaxOk {
  const p = parseCidrSyntax(text);
  if (!p.ok) throw new InvalidCidrError(text, p.reason, where);
  return p;
}

/** Add one parsed CIDR to a store. */
export function addToStore(store: CidrStore, p: CidrSyntaxOk): void {
  if (p.family === 4) store.addV4(p.start, p.prefix);
  else store.addV6(p.words[0] ?? 0, p.words[1] ?? 0, p.words[2] ?? 0, p.words[3] ?? 0, p.prefix);
}

/** A store holding every CIDR of the list (not yet collapsed). */
export function storeOf(cidrs: Iterable<string>, where?: string): CidrStore {
  const store = new CidrStore();
  for (const c of cidrs) addToStore(store, parseCidrOrThrow(c, where));
  return store;
}
