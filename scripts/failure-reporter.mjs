// A vitest reporter for scripts/test.mjs: counts the tests and collects every failure with its message, including
// those the JSON reporter drops (a beforeAll that throws leaves its tests "skipped", its error in no test), and
// writes them as JSON to the file named by MCP_OTEL_TEST_SUMMARY.
import { writeFileSync } from 'node:fs';

export default class FailureReporter {
  onTestRunEnd(testModules, unhandledErrors) {
    let passed = 0;
    let failed = 0;
    const failures = [];
    const add = (where, errors) => {
      failed++;
      failures.push({ where, message: errors.map(describe).join('\n') });
    };
    for (const module of testModules) {
      const file = module.relativeModuleId;
      if (module.errors().length) add(file, module.errors());
      for (const suite of module.children.allSuites()) if (suite.errors().length) add(`${file} > ${suite.fullName}`, suite.errors());
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'failed') add(`${file} > ${test.fullName}`, result.errors ?? []);
      }
    }
    if (unhandledErrors.length) add('unhandled errors', unhandledErrors);
    writeFileSync(process.env.MCP_OTEL_TEST_SUMMARY, JSON.stringify({ passed, failed, failures }));
  }
}

function describe(error) {
  const name = error?.name && !String(error.message ?? '').startsWith(error.name) ? `${error.name}: ` : '';
  return `${name}${error?.message ?? String(error)}`;
}
