/**
 * Shared by subcommands: resolve `--config`/TQ_ENTRA_CONFIG and load the validated configuration;
 * read an `--indicators FILE` for `plan`/`apply`.
 *
 * readIndicatorsFile streams the file through the range engine as `ranges merge` does
 * (src/ranges/indicator-merge.ts: the shared line reader, values parsed from bytes into typed arrays),
 * under the target's floors and reserved-space rule, then takes `safety.neverBlock` out and cuts
 * blocks broader than the floor back to it, all on the numeric store. Memory follows the number of
 * distinct ranges (a few bytes each), never the file size, and no object or string is made per range.
 */
import { open } from 'node:fs/promises';
import { loadConfigFile, resolveConfigPath } from '../config/load-config.ts';
import type { Config, TargetConfig } from '../config/schema.ts';
import { UsageError } from '../errors/sync-error.ts';
import { IndicatorMerge, storeOf, type CidrStore, type CodeTally, type LineEncoding, type RejectCode } from '../ranges/index.ts';

export function loadConfigForCommand(path: string | undefined): Config {
  return loadConfigFile(resolveConfigPath(path));
}

export interface IndicatorsFile {
  path: string;
  /** The ranges to block: merged, never-block removed, cut back to the floor. IPv4 then IPv6, ascending. */
  store: CidrStore;
  /** Merged ranges before the never-block subtraction. */
  mergedBeforeNeverBlock: number;
  lines: number;
  accepted: number;
  rejected: number;
  rejections: Partial<Record<RejectCode, CodeTally>>;
  encoding: LineEncoding;
}

export async function readIndicatorsFile(path: string, target: TargetConfig): Promise<IndicatorsFile> {
  const { minPrefixV4, minPrefixV6, allowReserved, neverBlock } = target.safety;
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (e) {
    throw new UsageError(`--indicators: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const merge = new IndicatorMerge({ minPrefixV4, minPrefixV6, allowReserved });
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      merge.push(buf.subarray(0, bytesRead));
    }
    merge.end();
  } finally {
    await handle.close();
  }
  const merged = merge.acc.cidrStore();
  merged.collapse();
  const mergedBeforeNeverBlock = merged.sizeV4 + merged.sizeV6;
  const store = merge.finalStore(neverBlock.length > 0 ? storeOf(neverBlock) : undefined);
  return {
    path,
    store,
    mergedBeforeNeverBlock,
    lines: merge.lines,
    accepted: merge.acc.accepted,
    rejected: merge.acc.rejected,
    rejections: merge.acc.rejections(),
    encoding: merge.encoding,
  };
}
