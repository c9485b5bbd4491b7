/**
 * printableText: the one way an input value (an indicator line, a rejection example) is shown on a
 * terminal or in a report. Input comes from feeds and files nobody vetted, so it may hold terminal
 * escape sequences (ESC [ …, a single-byte CSI U+009B), carriage returns that overwrite the line,
 * bidirectional overrides that reorder it, or invisible characters. Each of these is written as an
 * escape instead:
 *   - a backslash as `\\` (so an escape in the output is never ambiguous with the input's own text);
 *   - C0 controls, DEL and C1 controls (U+0000–U+001F, U+007F–U+009F) as `\xNN`;
 *   - line/paragraph separators, bidi controls, zero-width characters and a BOM
 *     (U+2028–U+2029, U+202A–U+202E, U+2066–U+2069, U+200B–U+200F, U+061C, U+FEFF) and lone surrogates
 *     as `\u{XXXX}`.
 * The result is cut at `max` characters (default 200) with a trailing "…". Used by `ranges merge`,
 * `plan`/`apply --indicators` and `report`.
 */
export const PRINTABLE_MAX_CHARS = 200;

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(c: string): string {
  if (c === '\\') return '\\\\';
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16).toUpperCase().padStart(4, '0')}}`;
}

export function printableText(text: string, max = PRINTABLE_MAX_CHARS): string {
  const cut = text.length > max ? text.slice(0, max) : text;
  const clean = cut.replace(UNSAFE, escapeChar);
  return text.length > max ? `${clean}…` : clean;
}
