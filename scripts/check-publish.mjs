#!/usr/bin/env node
// `prepublishOnly`: refuses to publish a package whose npm page would have broken links. npm resolves README's
// relative links (grafana/…, examples/…, bench/README.md) against `repository`, and shows `homepage` and
// `bugs` beside them; without the three the dashboards guide, the examples and the benchmark are unreachable
// from the package page. Usage: node scripts/check-publish.mjs [package.json]
import { readFileSync } from 'node:fs';

const file = process.argv[2] ?? new URL('../package.json', import.meta.url);
const pkg = JSON.parse(readFileSync(file, 'utf8'));
const url = (value) => (typeof value === 'string' ? value : value?.url);
const missing = [];
if (!/^(git\+)?https:\/\/\S+$/.test(url(pkg.repository) ?? '')) missing.push('repository (an https URL, or { type: "git", url })');
if (!/^https:\/\/\S+$/.test(pkg.homepage ?? '')) missing.push('homepage (an https URL)');
if (!/^https:\/\/\S+$/.test(url(pkg.bugs) ?? '')) missing.push('bugs (an https URL, or { url })');
if (missing.length > 0) {
  console.error(`package.json lacks ${missing.join(', ')}: README's relative links would not resolve on the npm page.`);
  process.exit(1);
}
console.error('package.json: repository, homepage and bugs are set');
