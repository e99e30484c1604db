// Builds dist/cjs with tsc and copies the thin ESM wrappers to dist/esm.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
rmSync(join(root, 'dist'), { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
writeFileSync(join(root, 'dist/cjs/package.json'), '{ "type": "commonjs" }\n');
mkdirSync(join(root, 'dist/esm'), { recursive: true });
for (const file of readdirSync(join(root, 'src/esm'))) cpSync(join(root, 'src/esm', file), join(root, 'dist/esm', file));
writeFileSync(join(root, 'dist/esm/package.json'), '{ "type": "module" }\n');
