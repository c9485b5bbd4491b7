/**
 * The code table is the one source of truth: README.md's troubleshooting table is its rendering
 * (regenerate with `node_modules/.bin/tsx src/errors/render-error-table.ts --write`), and every
 * `ERR_*` literal in src/ and workers/ is one of its codes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_CODE_LIST, isErrorCode } from '../../src/errors/error-codes.ts';
import { readErrorTable, readmePath, renderErrorTable, replaceErrorTable } from '../../src/errors/render-error-table.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Codes of other software's errors that the service recognises; not ours, so not in the table. */
const FOREIGN_CODES = new Set([
  'ERR_GOT_REQUEST_ERROR', // got's RequestError without a code of its own (http/retry-policy.ts)
  'ERR_TLS_CERT_ALTNAME_INVALID', // Node's TLS host-name mismatch (threatq/threatq-transport.ts)
]);

/** A whole code: `ERR_` then words, not a prefix such as `ERR_SAFETY_` nor the tail of `STDERR_PEAK`. */
const CODE_LITERAL = /\bERR_[A-Z][A-Z_]*[A-Z]\b/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const path = join(dir, d.name);
    if (d.isDirectory()) return tsFiles(path);
    return d.name.endsWith('.ts') ? [path] : [];
  });
}

describe('README troubleshooting table', () => {
  it('is the rendering of src/errors/error-codes.ts', () => {
    const readme = readFileSync(readmePath(), 'utf8');
    expect(readErrorTable(readme), 'run: node_modules/.bin/tsx src/errors/render-error-table.ts --write').toBe(renderErrorTable());
  });

  it('has one row per code with meaning, retried and what to do', () => {
    const rows = renderErrorTable().split('\n').slice(2);
    expect(rows).toHaveLength(ERROR_CODE_LIST.length);
    for (const [i, code] of ERROR_CODE_LIST.entries()) {
      expect(rows[i]).toMatch(new RegExp(`^\\| \`${code}\` \\| .+ \\| (yes|no|by status: [^|]+) \\| .+ \\|$`));
      expect(ERROR_CODES[code].meaning.trim()).not.toBe('');
      expect(ERROR_CODES[code].action.trim()).not.toBe('');
    }
  });

  it('replaces only the text between the markers', () => {
    const readme = readFileSync(readmePath(), 'utf8');
    expect(replaceErrorTable(readme, renderErrorTable())).toBe(readme);
    expect(() => replaceErrorTable('no markers', 'x')).toThrow(/missing the markers/);
  });
});

describe('every ERR_ literal in src/ and workers/', () => {
  it('is a code of the table', () => {
    const unknown: string[] = [];
    for (const file of [...tsFiles(join(ROOT, 'src')), ...tsFiles(join(ROOT, 'workers'))]) {
      for (const m of readFileSync(file, 'utf8').matchAll(CODE_LITERAL)) {
        if (!isErrorCode(m[0]) && !FOREIGN_CODES.has(m[0])) unknown.push(`${relative(ROOT, file)}: ${m[0]}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it('foreign codes are really not ours', () => {
    for (const c of FOREIGN_CODES) expect(isErrorCode(c)).toBe(false);
  });
});
