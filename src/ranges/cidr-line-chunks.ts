/**
 * cidrLineChunks: a collapsed CidrStore as text lines ("a.b.c.d/p\n", IPv4 then IPv6), produced as byte
 * chunks of about `chunkBytes` each. IPv4 digits are copied from a per-octet byte table straight into
 * the chunk (no string per range), which is what makes `tq-entra ranges merge` output fast; IPv6 goes
 * through formatIPv6.
 */
import type { CidrStore } from './cidr-store.ts';
import { formatIPv6 } from './ipv6-text.ts';

const encoder = new TextEncoder();
const OCTET_BYTES: readonly Uint8Array[] = Array.from({ length: 256 }, (_, i) => encoder.encode(String(i)));
const PREFIX_BYTES: readonly Uint8Array[] = Array.from({ length: 129 }, (_, i) => encoder.encode(`/${i}\n`));

export function* cidrLineChunks(store: CidrStore, chunkBytes = 1 << 20): Generator<Uint8Array> {
  const v4 = store.viewV4();
  let buf = new Uint8Array(chunkBytes + 64);
  let at = 0;
  const put = (bytes: Uint8Array | undefined): void => {
    if (!bytes) return;
    buf.set(bytes, at);
    at += bytes.length;
  };
  for (let i = 0; i < v4.count; i++) {
    const a = v4.starts[i] ?? 0;
    put(OCTET_BYTES[a >>> 24]);
    buf[at++] = 46;
    put(OCTET_BYTES[(a >>> 16) & 255]);
    buf[at++] = 46;
    put(OCTET_BYTES[(a >>> 8) & 255]);
    buf[at++] = 46;
    put(OCTET_BYTES[a & 255]);
    put(PREFIX_BYTES[v4.prefixes[i] ?? 0]);
    if (at >= chunkBytes) {
      yield buf.subarray(0, at);
      buf = new Uint8Array(chunkBytes + 64);
      at = 0;
    }
  }
  const v6 = store.viewV6();
  for (let i = 0; i < v6.count; i++) {
    const w = v6.words;
    const text = `${formatIPv6(w[i * 4] ?? 0, w[i * 4 + 1] ?? 0, w[i * 4 + 2] ?? 0, w[i * 4 + 3] ?? 0)}/${v6.prefixes[i] ?? 0}\n`;
    at += encoder.encodeInto(text, buf.subarray(at)).written;
    if (at >= chunkBytes) {
      yield buf.subarray(0, at);
      buf = new Uint8Array(chunkBytes + 64);
      at = 0;
    }
  }
  if (at > 0) yield buf.subarray(0, at);
}
