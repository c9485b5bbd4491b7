/**
 * Renders README.md's "Troubleshooting by error code" table from the code table (error-codes.ts),
 * between the two marker comments. After changing the code table, regenerate it (no npm needed):
 *
 *   node_modules/.bin/tsx src/errors/render-error-table.ts --write     (without --write: print it)
 *
 * test/unit/errors.error-table.test.ts fails while README.md differs from the rendering.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BY_STATUS, ERROR_CODES, ERROR_CODE_LIST, type ErrorCodeInfo } from './error-codes.ts';

export const TABLE_BEGIN = '<!-- error-codes:begin (generated from src/errors/error-codes.ts by src/errors/render-error-table.ts; do not edit by hand) -->';
export const TABLE_END = '<!-- error-codes:end -->';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

function retriedText(retryable: ErrorCodeInfo['retryable']): string {
  if (retryable === BY_STATUS) return 'by status: 408, 429, 5xx yes; other 4xx no';
  return retryable ? 'yes' : 'no';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The Markdown table, one row per code in table order. */
export function renderErrorTable(): string {
  const rows = ERROR_CODE_LIST.map((code) => {
    const e: ErrorCodeInfo = ERROR_CODES[code];
    return `| \`${code}\` | ${cell(e.meaning)} | ${retriedText(e.retryable)} | ${cell(e.action)} |`;
  });
  return ['| code | meaning | retried | what to do |', '|---|---|---|---|', ...rows].join('\n');
}

/** The text between the markers (trimmed), or undefined when a marker is missing. */
export function readErrorTable(readme: string): string | undefined {
  const start = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start + TABLE_BEGIN.length, end).trim();
}

/** `readme` with the text between the markers replaced by `table`. */
export function replaceErrorTable(readme: string, table: string): string {
  const start = readme.indexOf(TABLE_BEGIN);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md: missing the markers ${TABLE_BEGIN} … ${TABLE_END}`);
  return `${readme.slice(0, start + TABLE_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}

export function readmePath(): string {
  return README;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const table = renderErrorTable();
  if (process.argv.includes('--write')) {
    writeFileSync(README, replaceErrorTable(readFileSync(README, 'utf8'), table));
    console.log(`README.md: error code table written (${ERROR_CODE_LIST.length} codes)`);
  } else {
    console.log(table);
  }
}
