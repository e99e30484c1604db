// Runs vitest and ends with the line CI reads: `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'mcp-otel-test-'));
const summaryFile = join(dir, 'summary.json');
const args = ['vitest', 'run', '--reporter=default', '--reporter=./scripts/failure-reporter.mjs', ...process.argv.slice(2)];
const run = spawnSync('npx', args, { stdio: 'inherit', shell: false, env: { ...process.env, MCP_OTEL_TEST_SUMMARY: summaryFile } });
let passed = 0;
let failed = 0;
let failures = [];
try {
  ({ passed, failed, failures } = JSON.parse(readFileSync(summaryFile, 'utf8')));
} catch {
  failed = 1;
  failures = [{ where: 'vitest', message: `no summary: the run itself failed (exit ${run.status ?? run.signal})` }];
}
rmSync(dir, { recursive: true, force: true });
if (run.status !== 0 && failed === 0) failed = 1; // vitest failed for a reason no test shows

// Each failure again, just above the closing line: CI keeps only the tail of a long log. Tests failing with the
// same message are one group (a failed setup shared by a file's tests fails each of them): the first test, a
// count, and the message's further lines (not its stack), where the cause usually is (a child process's output).
const groups = new Map();
for (const { where, message } of failures) {
  const file = where.split(' > ')[0];
  const key = `${file}\0${message}`;
  const group = groups.get(key);
  if (group) group.count++;
  else groups.set(key, { where, message, count: 1 });
}
let detailed = 0;
for (const { where, message, count } of groups.values()) {
  const lines = messageLines(message);
  console.log(`failed: ${where}: ${clip(lines[0] ?? '')}${count > 1 ? ` (and ${count - 1} more tests with this message)` : ''}`);
  if (lines.length > 1 && detailed++ < 3) for (const line of lines.slice(1).slice(-15)) console.log(`detail:   ${clip(line)}`);
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);

/** The message's non-empty lines up to a stack trace, without terminal colours. */
function messageLines(text) {
  // eslint-disable-next-line no-control-regex
  const lines = text.replace(/\u001b\[[0-9;]*m/g, '').split('\n');
  const stack = lines.findIndex((l) => /^\s+at /.test(l));
  return (stack === -1 ? lines : lines.slice(0, stack)).map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
}

function clip(line) {
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
