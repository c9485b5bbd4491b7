/**
 * The emulator's TLS certificate: self-signed (it is its own CA), made at start with `selfsigned`,
 * valid for localhost, 127.0.0.1, ::1 and any extra DNS names given (e.g. a container's service name),
 * written out as a PEM CA file that clients trust
 * (`tls.caFile`, or `tlsOptions.ca` for @azure/identity, or NODE_EXTRA_CA_CERTS).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generate } from 'selfsigned';

export interface EmulatorCertificate {
  keyPem: string;
  certPem: string;
  caFile: string;
}

export async function createEmulatorCertificate(caFile?: string, extraNames: readonly string[] = []): Promise<EmulatorCertificate> {
  const pems = await generate([{ name: 'commonName', value: 'tq-entra Graph emulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          ...extraNames.map((value) => ({ type: 2 as const, value })),
        ],
      },
    ],
  });
  const file = caFile ?? join(mkdtempSync(join(tmpdir(), 'tq-entra-graph-emulator-')), 'ca.pem');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, pems.cert, { mode: 0o644 });
  return { keyPem: pems.private, certPem: pems.cert, caFile: file };
}
