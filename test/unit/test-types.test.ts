/*
 * The tests themselves type-check, strict like src/ (tsconfig.test.json): vitest only strips types, so without
 * this a test could read a property that does not exist and assert on `undefined`.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = join(__dirname, '..', '..');
const tsc = createRequire(join(ROOT, 'package.json')).resolve('typescript/bin/tsc');

it('test/ type-checks: tsc -p tsconfig.test.json reports nothing', { timeout: 120_000 }, () => {
  const run = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.test.json'], { cwd: ROOT, encoding: 'utf8', timeout: 110_000 });
  expect(run.stdout + run.stderr).toBe('');
  expect(run.status).toBe(0);
});
