// Test entry loaded by VS Code's extension host (extensionTestsPath): runs the mocha suites and
// reports each result on its own line, which the runner outside the browser reads.

import Mocha from 'mocha';
import * as path from 'path';

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 120000, reporter: LineReporter as unknown as string });
  for (const file of ['extension.test.js']) {
    mocha.addFile(path.join(__dirname, file));
  }
  return new Promise((resolve, reject) => {
    mocha.run(failures => (failures ? reject(new Error(`${failures} test(s) failed`)) : resolve()));
  });
}

class LineReporter {
  constructor(runner: Mocha.Runner) {
    let passed = 0;
    let failed = 0;
    runner.on('pass', test => {
      passed += 1;
      console.log(`PASS: ${test.fullTitle()} (${test.duration} ms)`);
    });
    runner.on('fail', (test, err: Error) => {
      failed += 1;
      console.log(`FAIL: ${test.fullTitle()}\n${err.stack ?? err.message}`);
    });
    runner.on('end', () => console.log(`${passed} passed, ${failed} failed`));
  }
}
