/**
 * The set-up shared by test files that talk to one unpaced Graph emulator and keep state in Redis:
 * the emulator starts once per file (no pacing), each test starts from an empty tenant (and, with
 * `unpacedEachTest`, with the pacing switched off again in case a test changed it), and the emulator
 * and the file's Redis keys are gone afterwards. Read `suite.emu` and `suite.r` inside hooks and tests.
 */
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startGraphEmulator, type GraphEmulator } from '../../src/emulators/graph/graph-emulator.ts';
import { testRedis, type TestRedis } from './redis.ts';

export interface GraphEmulatorSuite {
  readonly emu: GraphEmulator;
  readonly r: TestRedis;
}

export function useGraphEmulator(label: string, options: { unpacedEachTest?: boolean } = {}): GraphEmulatorSuite {
  let emu: GraphEmulator | undefined;
  let r: TestRedis | undefined;
  beforeAll(async () => {
    emu = await startGraphEmulator({ throttle: { requestsPerSecond: 0 } });
    r = testRedis(label);
  });
  afterAll(async () => {
    await emu?.close();
    await r?.cleanup();
  });
  beforeEach(() => {
    emu?.reset();
    if (options.unpacedEachTest) emu?.configure({ throttle: { requestsPerSecond: 0 } });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('useGraphEmulator: read inside a hook or a test');
    return value;
  };
  return {
    get emu() {
      return started(emu);
    },
    get r() {
      return started(r);
    },
  };
}
