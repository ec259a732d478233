#!/usr/bin/env node
// The CLI is TypeScript built into dist/ (by `npm ci`/`npm install` through the `prepare` script,
// or `npm run build`). A checkout that was never built gets one line saying so, not a stack trace.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('coupon-bench: not built yet (dist/cli.js is missing): run `npm run build` (or `npm ci`) in the coupon-bench folder\n');
  process.exit(1);
}
await import(cli.href);
