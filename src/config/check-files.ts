/**
 * Files named in the configuration, checked once the schema has passed so that a wrong path fails at
 * start-up (exit 2, by path) instead of at the first sign-in or TLS handshake:
 * - `targets[].certificatePath`: exists, is a readable file holding a PEM certificate and private key;
 * - `targets[].tls.caFile`, `sources[].tls.caFile`: exist, are readable files holding a PEM certificate.
 * File sources' `path` is NOT checked: a block list file is often written by another job (a download,
 * a cron) after the service starts, and a missing one fails only that source's run
 * (ERR_SOURCE_FILE_READ) while its last good snapshot stays in force.
 */
import { readFileSync, statSync } from 'node:fs';
import { formatPath } from './format-path.ts';

interface FileRef {
  path: (string | number)[];
  file: string;
  kind: 'certificate' | 'ca';
}

export interface FilesToCheck {
  readonly sources: readonly { readonly kind: string; readonly tls?: { readonly caFile?: string | undefined } }[];
  readonly targets: readonly { readonly certificatePath?: string | undefined; readonly tls: { readonly caFile?: string | undefined } }[];
}

function refsOf(config: FilesToCheck): FileRef[] {
  const refs: FileRef[] = [];
  config.sources.forEach((s, i) => {
    if (s.tls?.caFile !== undefined) refs.push({ path: ['sources', i, 'tls', 'caFile'], file: s.tls.caFile, kind: 'ca' });
  });
  config.targets.forEach((t, i) => {
    if (t.certificatePath !== undefined) refs.push({ path: ['targets', i, 'certificatePath'], file: t.certificatePath, kind: 'certificate' });
    if (t.tls.caFile !== undefined) refs.push({ path: ['targets', i, 'tls', 'caFile'], file: t.tls.caFile, kind: 'ca' });
  });
  return refs;
}

function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'not readable (permission denied)';
  if (code === 'EISDIR') return 'is a directory, expected a file';
  return (e as Error).message;
}

/** One problem line per unusable file, each naming the configuration path. */
export function checkConfigFiles(config: FilesToCheck): string[] {
  const out: string[] = [];
  for (const ref of refsOf(config)) {
    const where = `${formatPath(ref.path)}: ${JSON.stringify(ref.file)}`;
    let text: string;
    try {
      if (statSync(ref.file).isDirectory()) {
        out.push(`${where} is a directory, expected a PEM file`);
        continue;
      }
      text = readFileSync(ref.file, 'utf8');
    } catch (e) {
      out.push(`${where}: ${reasonOf(e)}`);
      continue;
    }
    if (!/-----BEGIN CERTIFICATE-----/.test(text)) {
      out.push(`${where} holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----")`);
    } else if (ref.kind === 'certificate' && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      out.push(`${where} holds no PEM private key (expected the certificate and its private key in one file)`);
    }
  }
  return out;
}
