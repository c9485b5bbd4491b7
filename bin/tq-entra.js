#!/usr/bin/env node
// Entry point of the `tq-entra` CLI. The service is written in TypeScript and runs through tsx's
// loader (a runtime dependency), so `npx tq-entra` works on a fresh `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
