/**
 * The emulator's TLS certificate: self-signed (it is its own CA), made with `selfsigned`, valid for
 * localhost, 127.0.0.1, ::1 and any extra DNS names given (e.g. a container's service name), written
 * out as a PEM CA file that clients trust (`tls.caFile`, or `tlsOptions.ca` for @azure/identity, or
 * NODE_EXTRA_CA_CERTS).
 *
 * With a state directory the key and certificate outlive the process: they are kept in
 * `<stateDir>/tls-key.pem` (mode 0600) and `<stateDir>/tls-cert.pem` and reused at the next start
 * when they still fit (they parse, the key matches the certificate, it is valid for at least
 * RENEW_BEFORE_MS more and covers every name asked for); otherwise a new pair is made and stored.
 * So clients that trusted the CA file before a restart (a worker's cached Graph client, a CA file
 * copied elsewhere) keep working after it. Without a state directory every start makes a new one.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { generate } from 'selfsigned';

export interface EmulatorCertificate {
  keyPem: string;
  certPem: string;
  caFile: string;
  /** True when the key and certificate were read from the state directory rather than made now. */
  reused: boolean;
  /** Why a stored pair was not reused (absent when reused, or when there is no state directory). */
  renewedBecause?: string;
}

export interface EmulatorCertificateOptions {
  /** Where to write the CA certificate (PEM); default `<stateDir>/ca.pem`, else a fresh temporary directory. */
  caFile?: string;
  /** Extra DNS names for the certificate (besides localhost, 127.0.0.1 and ::1). */
  extraNames?: readonly string[];
  /** Directory that keeps the key and certificate across restarts. */
  stateDir?: string;
}

export const KEY_FILE = 'tls-key.pem';
export const CERT_FILE = 'tls-cert.pem';
/** How long a new certificate is valid. */
const VALIDITY_MS = 365 * 86_400_000;
/** A stored certificate with less validity left than this is replaced at start. */
export const RENEW_BEFORE_MS = 7 * 86_400_000;
const BASE_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

async function generatePair(names: readonly string[]): Promise<{ keyPem: string; certPem: string }> {
  const pems = await generate([{ name: 'commonName', value: 'tq-entra Graph emulator' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + VALIDITY_MS),
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: names.map((value) => (isIP(value) ? { type: 7 as const, ip: value } : { type: 2 as const, value })),
      },
    ],
  });
  return { keyPem: pems.private, certPem: pems.cert };
}

/** Why a stored pair cannot be used, or undefined when it can. */
export function unusableBecause(keyPem: string, certPem: string, names: readonly string[], now = Date.now()): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'the stored certificate does not parse';
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return 'the stored key does not match the certificate';
  } catch {
    return 'the stored key does not parse';
  }
  if (Date.parse(cert.validFrom) > now) return 'the stored certificate is not valid yet';
  if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return 'the stored certificate expires within 7 days';
  for (const name of names) {
    const covered = isIP(name) ? cert.checkIP(name) !== undefined : cert.checkHost(name, { wildcards: false }) !== undefined;
    if (!covered) return `the stored certificate does not cover ${name}`;
  }
  return undefined;
}

/** Write through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomically(file: string, text: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

function readStored(stateDir: string): { keyPem: string; certPem: string } | undefined {
  try {
    return { keyPem: readFileSync(join(stateDir, KEY_FILE), 'utf8'), certPem: readFileSync(join(stateDir, CERT_FILE), 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function createEmulatorCertificate(options: EmulatorCertificateOptions = {}): Promise<EmulatorCertificate> {
  const names = [...new Set([...BASE_NAMES, ...(options.extraNames ?? [])])];
  const { stateDir } = options;
  let pair: { keyPem: string; certPem: string } | undefined;
  let reused = false;
  let renewedBecause: string | undefined;
  if (stateDir !== undefined) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const stored = readStored(stateDir);
    if (stored) {
      renewedBecause = unusableBecause(stored.keyPem, stored.certPem, names);
      if (renewedBecause === undefined) {
        pair = stored;
        reused = true;
      }
    }
  }
  if (!pair) {
    pair = await generatePair(names);
    if (stateDir !== undefined) {
      // Key first: a crash between the two writes leaves a pair that does not match, which the next
      // start detects and replaces.
      writeAtomically(join(stateDir, KEY_FILE), pair.keyPem, 0o600);
      writeAtomically(join(stateDir, CERT_FILE), pair.certPem, 0o644);
    }
  }
  const file = options.caFile ?? (stateDir !== undefined ? join(stateDir, 'ca.pem') : join(mkdtempSync(join(tmpdir(), 'tq-entra-graph-emulator-')), 'ca.pem'));
  mkdirSync(dirname(file), { recursive: true });
  writeAtomically(file, pair.certPem, 0o644);
  return { keyPem: pair.keyPem, certPem: pair.certPem, caFile: file, reused, ...(renewedBecause !== undefined ? { renewedBecause } : {}) };
}
