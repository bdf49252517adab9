// Type-checks extension-sample (plain JS with JSDoc types) against docs/protocol.d.ts with tsc.
//
//   node tests/e2e/typecheck.mjs check      tsc --noEmit on the sample as it is (must pass)
//   node tests/e2e/typecheck.mjs mistakes   copies the sample and the declarations to a temp dir,
//                                           checks the copy passes, injects the mistakes below and
//                                           asserts tsc reports each one on its own line
// tests/e2e/typecheck.sh runs it after installing the npm packages (CTest: typecheck_*).
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const TSC = path.join(HERE, 'node_modules/typescript/bin/tsc');
const CONFIG = path.join(HERE, 'tsconfig.json');

// Mistakes people make against the protocol; each must be rejected where it is made. `find` must
// occur exactly once in `file` (if the sample changes, update the mistake, don't drop it). Mistakes
// of one `group` are injected together (one tsc run per group); a group holds mistakes far enough
// apart that one cannot cause the other's error (e.g. a wrong action changes the reply's type).
const MISTAKES = [
  {group: 1, what: 'reply field read under a wrong name (jobid for jobId)', file: 'extension-sample/page.js',
   find: 'const jobId = reply.payload.jobId;', replace: 'const jobId = reply.payload.jobid;', expect: /jobid/},
  {group: 2, what: 'action name not in the protocol', file: 'extension-sample/page.js',
   find: "request('download_quant', {repo, quant: variant})",
   replace: "request('download_qaunt', {repo, quant: variant})", expect: /download_qaunt/,
   // The reply of an unknown action has no known payload, so the next line's read fails too.
   thenLines: 1},
  {group: 1, what: 'request without a required field (scan_repo needs repo)', file: 'extension-sample/page.js',
   find: "request('scan_repo', {repo})", replace: "request('scan_repo', {repository: repo})", expect: /repository|repo/},
  {group: 1, what: 'event payload field misspelt (progres)', file: 'extension-sample/page.js',
   find: 'progress: p.progress, file: p.file', replace: 'progress: p.progres, file: p.file', expect: /progres/},
  {group: 2, what: 'event status compared with a status the host never sends', file: 'extension-sample/page.js',
   find: "if (p.status === 'done') job.progress = 100;", replace: "if (p.status === 'finished') job.progress = 100;",
   expect: /finished/},
  {group: 1, what: 'reply status compared with a status the host never sends', file: 'extension-sample/client.js',
   find: "reply.status === 'auth_required'", replace: "reply.status === 'auth-required'", expect: /auth-required/},
  {group: 1, what: 'worker-to-page message of an unknown kind', file: 'extension-sample/background.js',
   find: "{kind: 'reply', id: msg.id, ok: true, reply}", replace: "{kind: 'replied', id: msg.id, ok: true, reply}",
   expect: /replied|WorkerMessage/},
  {group: 2, what: 'job control with an action that takes no jobId', file: 'extension-sample/page.js',
   find: "pause: () => jobAction('pause_download')", replace: "pause: () => jobAction('pause_downloads')",
   expect: /pause_downloads/},
  {group: 2, what: 'page element id that page.html does not have', file: 'extension-sample/page.js',
   find: "$('job-id').textContent = jobId;", replace: "$('job-idd').textContent = jobId;", expect: /job-idd/},
];

function tsc(project) {
  const r = spawnSync(process.execPath, [TSC, '-p', project, '--pretty', 'false'], {encoding: 'utf8'});
  return {status: r.status, output: (r.stdout || '') + (r.stderr || '')};
}

// "path(line,col): error TSxxxx: text" -> {file (relative to base), line, text}. tsc prints paths
// relative to its working directory, which is ours.
function parseErrors(output, base) {
  const errors = [];
  for (const line of output.split('\n')) {
    const m = line.match(/^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/);
    if (m) errors.push({file: path.relative(base, path.resolve(m[1])), line: Number(m[2]), code: m[4], text: m[5]});
  }
  return errors;
}

function check() {
  const r = tsc(CONFIG);
  process.stdout.write(r.output);
  if (r.status !== 0) {
    console.log('typecheck: FAIL - extension-sample does not type-check against docs/protocol.d.ts');
    return 1;
  }
  console.log('typecheck: ok - extension-sample type-checks against docs/protocol.d.ts (tsc --noEmit, strict)');
  return 0;
}

// Injects `list` into the copy in `work`, runs tsc, restores the copy; returns how many were rejected.
function injectAndCheck(work, project, list, fail) {
  const saved = new Map();
  const where = [];
  for (const m of list) {
    const file = path.join(work, m.file);
    if (!saved.has(file)) saved.set(file, fs.readFileSync(file, 'utf8'));
    const text = fs.readFileSync(file, 'utf8');
    const at = text.indexOf(m.find);
    if (at < 0 || text.indexOf(m.find, at + 1) >= 0) {
      fail(`${m.what}: '${m.find}' must occur exactly once in ${m.file} (update the mistake to the sample)`);
      continue;
    }
    fs.writeFileSync(file, text.slice(0, at) + m.replace + text.slice(at + m.find.length));
    where.push({...m, line: text.slice(0, at).split('\n').length});
  }
  const lines = where.map((m) => `${m.file}:${m.line}`);
  if (new Set(lines).size !== lines.length) fail(`two mistakes share a line: ${lines.join(', ')}`);

  const broken = tsc(project);
  for (const [file, text] of saved) fs.writeFileSync(file, text);
  const errors = parseErrors(broken.output, work);
  let problems = 0;
  const problem = (msg) => { problems++; fail(msg); };
  if (broken.status === 0) problem(`tsc accepted the sample with these mistakes: ${list.map((m) => m.what).join('; ')}`);
  let rejected = 0;
  for (const m of where) {
    const hit = errors.find((e) => e.file === m.file && e.line === m.line && m.expect.test(e.text));
    if (hit) {
      rejected++;
      console.log(`ok   - rejected: ${m.what} (${m.file}:${m.line} ${hit.code})`);
    } else {
      problem(`not rejected: ${m.what} (${m.file}:${m.line})`);
    }
  }
  // Every error must come from an injected mistake: anything else means the copy differs.
  const expected = new Set(lines);
  for (const m of where) for (let i = 1; i <= (m.thenLines || 0); i++) expected.add(`${m.file}:${m.line + i}`);
  for (const e of errors) {
    if (!expected.has(`${e.file}:${e.line}`)) problem(`unexpected error ${e.file}:${e.line} ${e.code} ${e.text}`);
  }
  if (problems) process.stdout.write(broken.output);
  return rejected;
}

function mistakes() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tabagent-typecheck-'));
  let failed = 0;
  const fail = (msg) => { failed++; console.log(`FAIL - ${msg}`); };
  try {
    // Same relative layout as the repo, so '../docs/protocol' resolves the same way.
    for (const dir of ['extension-sample', 'docs']) fs.mkdirSync(path.join(work, dir));
    for (const f of fs.readdirSync(path.join(ROOT, 'extension-sample'))) {
      if (f.endsWith('.js')) fs.copyFileSync(path.join(ROOT, 'extension-sample', f), path.join(work, 'extension-sample', f));
    }
    fs.copyFileSync(path.join(ROOT, 'docs/protocol.d.ts'), path.join(work, 'docs/protocol.d.ts'));
    const project = path.join(work, 'tsconfig.json');
    // Inherits every compiler option (typeRoots resolve against the base config, i.e. tests/e2e).
    fs.writeFileSync(project, JSON.stringify({extends: CONFIG, include: ['extension-sample/*.js', 'docs/protocol.d.ts'],
                                              exclude: []}, null, 2));

    const clean = tsc(project);
    if (clean.status !== 0) {
      fail(`the unmodified copy does not type-check, so the mistakes prove nothing:\n${clean.output}`);
      return 1;
    }
    console.log('ok   - the unmodified copy type-checks');

    let rejected = 0;
    for (const group of [...new Set(MISTAKES.map((m) => m.group))]) {
      rejected += injectAndCheck(work, project, MISTAKES.filter((m) => m.group === group), fail);
    }
    console.log(`typecheck mistakes: ${rejected} of ${MISTAKES.length} rejected as expected${failed ? `, ${failed} problems` : ''}`);
    return failed ? 1 : 0;
  } finally {
    fs.rmSync(work, {recursive: true, force: true});
  }
}

const mode = process.argv[2] || 'check';
if (!fs.existsSync(TSC)) {
  console.log(`typecheck: ${TSC} missing; run tests/e2e/ensure_node_modules.sh (npm ci --ignore-scripts)`);
  process.exit(1);
}
if (mode === 'check') process.exit(check());
if (mode === 'mistakes') process.exit(mistakes());
console.error('usage: node tests/e2e/typecheck.mjs check|mistakes');
process.exit(2);
