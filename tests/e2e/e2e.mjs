// Browser end-to-end test: Debian Chromium (headless) + extension-sample + the real tabagent-host
// installed by installer/install.sh into a temporary profile, downloading from the fake hub.
//
// Usage: node tests/e2e/e2e.mjs <build-dir>   (run.sh does the npm/vendor steps first)
// Prints one line per test and "e2e: N passed, N failed, N skipped"; exits 1 on any failure.
import fs from 'node:fs';
import path from 'node:path';
import {chromium} from 'playwright-core';
import * as fx from './fixtures.mjs';

const buildDir = path.resolve(process.argv[2] || '');
if (!process.argv[2] || !fs.existsSync(buildDir)) {
  console.error('usage: node tests/e2e/e2e.mjs <build-dir>');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(fx.ROOT, 'tests/e2e/artifacts');
const KEEP = process.env.TABAGENT_E2E_KEEP === '1';
// The rate cap per fake-hub connection; with TABAGENT_MAX_CONNECTIONS=2 a 40 MiB file takes ~3 s.
const RATE = Number(process.env.TABAGENT_E2E_RATE || 6 * 1024 * 1024);

const results = [];
let stopAll = false;
async function test(name, fn, {needs} = {}) {
  if (stopAll || (needs && !needs())) {
    results.push({name, status: 'skipped', why: stopAll ? 'setup failed' : 'prerequisite failed'});
    console.log(`skip - ${name}`);
    return;
  }
  const t0 = Date.now();
  try {
    const r = await fn();
    if (r && r.skip) {
      results.push({name, status: 'skipped', why: r.skip});
      console.log(`skip - ${name}: ${r.skip}`);
    } else {
      results.push({name, status: 'passed'});
      console.log(`ok   - ${name} (${Date.now() - t0} ms)`);
    }
  } catch (e) {
    results.push({name, status: 'failed', why: e.message});
    // Assertion messages say enough; a stack only helps for unexpected exceptions.
    console.log(`FAIL - ${name}: ${e.isAssertion ? e.message : e.stack || e.message}`);
  }
}
const passed = (name) => results.some((r) => r.name === name && r.status === 'passed');
function assert(cond, msg) {
  if (cond) return;
  const e = new Error(msg);
  e.isAssertion = true;
  throw e;
}

const work = fx.makeWorkDir();
const hubLog = fs.createWriteStream(path.join(work.root, 'fakehub.log'));
let hub = null;
let context = null;
let page = null;
const consoleLines = [];
const extensionId = fx.sampleExtensionId();
let repoHashes = null;

// The fake hub's `hold` fault (tests/fakehub/README.md): matching bodies stop after a shared byte
// budget until the test lets more through or removes the rule. It makes "the download is still
// running when the page acts" a fact instead of a race with the transfer.
const MiB = 1024 * 1024;
async function hubControl(method, route, body) {
  const r = await fetch(`${hub.url}/__fakehub/${route}`, {method, body: body === undefined ? undefined : JSON.stringify(body)});
  if (!r.ok) throw new Error(`fake hub ${method} ${route}: ${r.status} ${await r.text()}`);
  return r.json();
}
const hold = async (pathContains, afterBytes) =>
  (await hubControl('POST', 'faults', {kind: 'hold', path_contains: pathContains, after_bytes: afterBytes})).id;
const letThrough = (id, bytes) => hubControl('POST', `faults/${id}/release`, {bytes});
const release = (id) => hubControl('DELETE', `faults/${id}`);

// Every timeout below is a hang guard (>= 30 s): no step is judged by how fast it went.
async function waitJob(status, timeoutMs = 90_000) {
  await page.waitForFunction((s) => {
    const st = document.getElementById('job').dataset.status;
    return s.includes(st) || ['done', 'error', 'cancelled'].includes(st);
  }, [status].flat(), {timeout: timeoutMs});
  return page.evaluate(() => ({status: document.getElementById('job').dataset.status,
                               error: document.getElementById('job-error').textContent,
                               log: window.tabagent.progressLog}));
}

async function main() {
  fs.mkdirSync(ARTIFACTS, {recursive: true});

  await test('setup: transformers.js copied into extension-sample/vendor', async () => {
    const r = fx.copyVendor();
    assert(r.ok, r.output);
  });

  await test('setup: sample repo on the fake hub', async () => {
    repoHashes = fx.makeRepo(work.hub).hashes;
    hub = await fx.startFakeHub(buildDir, work.hub, {ratePerConnection: RATE, log: hubLog});
  });
  if (!hub) stopAll = true;
  const env = hub ? fx.hostEnv(work, hub.url) : {};

  await test('installer: --prebuilt registers the host in the test profile and its self-check passes', async () => {
    const r = fx.installHost(buildDir, work, env, extensionId);
    fs.writeFileSync(path.join(work.root, 'install.log'), r.output);
    assert(r.ok, `install.sh failed:\n${r.output}`);
    const m = JSON.parse(fs.readFileSync(r.manifest, 'utf8'));
    assert(m.allowed_origins.includes(`chrome-extension://${extensionId}/`), 'sample origin missing');
  });
  if (!passed('installer: --prebuilt registers the host in the test profile and its self-check passes')) stopAll = true;

  await test('browser: Chromium starts with the extension, whose id is the fixed one', async () => {
    context = await chromium.launchPersistentContext(work.profile, {
      executablePath: CHROMIUM,
      headless: true,
      env,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
             '--disable-background-networking', '--disable-component-update', '--disable-sync',
             `--disable-extensions-except=${fx.EXTENSION_DIR}`, `--load-extension=${fx.EXTENSION_DIR}`],
      viewport: {width: 1100, height: 900},
    });
    let [worker] = context.serviceWorkers();
    if (!worker) worker = await context.waitForEvent('serviceworker', {timeout: 30_000});
    const id = new URL(worker.url()).host;
    assert(id === extensionId, `extension id ${id}, expected ${extensionId}`);
    page = await context.newPage();
    page.on('console', (m) => consoleLines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => consoleLines.push(`[pageerror] ${e.message}`));
    await page.goto(`chrome-extension://${extensionId}/page.html?repo=${fx.REPO}`);
  });
  if (!page) stopAll = true;

  await test('page: handshake over native messaging succeeds', async () => {
    const info = await page.evaluate(() => window.tabagent.ready);
    assert(info && info.version, `handshake payload without version: ${JSON.stringify(info)}`);
    await page.waitForSelector('#host-status[data-state="connected"]', {timeout: 30_000});
  });
  const hostUp = () => passed('page: handshake over native messaging succeeds');

  await test('page: list_models on an empty cache shows no models', async () => {
    const n = await page.evaluate(() => window.tabagent.refreshModels().then((m) => m.length));
    assert(n === 0, `expected an empty cache, got ${n} models`);
  }, {needs: hostUp});

  await test('page: scan_repo lists the variants (q4f16, fp32, int8)', async () => {
    await page.click('#scan');
    await page.waitForSelector('#scan-status[data-state="done"], #scan-status[data-state="error"]', {timeout: 30_000});
    const text = await page.textContent('#scan-status');
    const options = await page.$$eval('#variant option', (os) => os.map((o) => o.value));
    for (const v of ['q4f16', 'fp32', 'int8']) assert(options.includes(v), `variant ${v} missing: ${options} (${text})`);
  }, {needs: hostUp});
  const scanned = () => passed('page: scan_repo lists the variants (q4f16, fp32, int8)');

  await test('download: q4f16 bar goes 0 -> 100 % through intermediate values', async () => {
    await page.selectOption('#variant', 'q4f16');
    // Three intermediate values by construction: the hub lets the weights through 8 MiB at a time,
    // the next 8 MiB only once the page showed a higher value than before, the rest after three.
    const q4 = await hold('model_q4f16.onnx', 8 * MiB);
    const clickedAt = await page.evaluate(() => performance.now());
    await page.click('#download');
    let shown = 0;
    for (let step = 0; step < 3; step++) {
      await page.waitForFunction((before) => Number(document.getElementById('total-pct').dataset.value) > before ||
        ['done', 'error', 'cancelled'].includes(document.getElementById('job').dataset.status), shown, {timeout: 60_000});
      shown = await page.evaluate(() => Number(document.getElementById('total-pct').dataset.value));
      // A screenshot mid-way shows the live bars (the CI artefact people look at).
      if (step === 1) await page.screenshot({path: path.join(ARTIFACTS, 'e2e-progress.png'), fullPage: true});
      if (step < 2) await letThrough(q4, 8 * MiB);
    }
    await release(q4);
    const r = await waitJob('done');
    assert(r.status === 'done', `job ended ${r.status}: ${r.error}`);
    const values = r.log.filter((e) => Number.isFinite(e.progress)).map((e) => e.progress);
    const mids = new Set(values.filter((v) => v > 0 && v < 100));
    assert(r.log.some((e) => e.status === 'initiate'), 'no initiate event');
    assert(mids.size >= 3, `only ${mids.size} intermediate progress values: ${values.join(', ')}`);
    for (let i = 1; i < values.length; i++) assert(values[i] >= values[i - 1], `progress went backwards: ${values.join(', ')}`);
    assert(r.log.at(-1).status === 'done', `last event is ${r.log.at(-1).status}`);
    assert(r.log.filter((e) => ['done', 'error', 'cancelled'].includes(e.status)).length === 1, 'not exactly one terminal event');
    const pct = await page.textContent('#total-pct');
    const bar = await page.$eval('#total', (p) => p.value);
    assert(pct === '100.0%' && bar === 100, `page shows ${pct}, bar ${bar}`);
    const fileState = await page.$eval('#files li[data-file="onnx/model_q4f16.onnx"]', (li) => li.dataset.state);
    assert(fileState === 'done', `file row state ${fileState}`);
    // Progress events are throttled to at most 10 per second. The host sent them all between the
    // click and the arrival of `done` (page clock): arrival times of single events may bunch up
    // on a busy machine, this span cannot shrink.
    const progress = r.log.filter((e) => e.status === 'progress');
    if (progress.length > 10) {
      const secs = (r.log.at(-1).t - clickedAt) / 1000;
      assert(progress.length <= 10 * secs + 3, `${progress.length} progress events in ${secs.toFixed(2)} s`);
    }
    await page.screenshot({path: path.join(ARTIFACTS, 'e2e-done.png'), fullPage: true});
  }, {needs: scanned});
  const downloaded = () => passed('download: q4f16 bar goes 0 -> 100 % through intermediate values');

  await test('cache: files are on disk in the HF layout and verified (blob named by its sha256)', async () => {
    const f = fx.cachedFile(work.cache, fx.REPO, 'onnx/model_q4f16.onnx');
    assert(f, 'onnx/model_q4f16.onnx not in the cache');
    assert(f.isSymlink, 'snapshot entry is not a symlink');
    assert(f.blobName === repoHashes['onnx/model_q4f16.onnx'], `blob ${f.blobName} is not the file's sha256`);
    assert(fx.sha256File(f.blob) === f.blobName, 'blob content does not match its name');
    for (const common of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) {
      assert(fx.cachedFile(work.cache, fx.REPO, common), `common file ${common} not downloaded with the variant`);
    }
    assert(!fx.cachedFile(work.cache, fx.REPO, 'onnx/model.onnx'), 'fp32 weights downloaded although not asked for');
    const models = await page.evaluate(() => window.tabagent.refreshModels().then(() =>
      [...document.querySelectorAll('#models li')].map((li) => li.dataset.repo)));
    assert(models.includes(fx.REPO), `list_models does not show ${fx.REPO}: ${models}`);
  }, {needs: downloaded});

  await test('cancel: a running fp32 download stops with CANCELLED and publishes no blob', async () => {
    await page.selectOption('#variant', 'fp32');
    const fp32 = await hold('onnx/model.onnx', 4 * MiB); // still running when the cancel comes
    await page.click('#download');
    await page.waitForFunction(() => Number(document.getElementById('total-pct').dataset.value) > 0 ||
      ['done', 'error', 'cancelled'].includes(document.getElementById('job').dataset.status), null, {timeout: 60_000});
    await page.click('#cancel');
    const r = await waitJob('cancelled', 60_000);
    await release(fp32);
    assert(r.status === 'cancelled', `job ended ${r.status}: ${r.error}`);
    const code = await page.$eval('#job-error', (e) => e.dataset.code);
    assert(code === 'CANCELLED', `cancelled event carries code ${code}`);
    const blobs = fx.blobNames(work.cache, fx.REPO);
    assert(!blobs.includes(repoHashes['onnx/model.onnx']), 'a complete fp32 blob exists after cancel');
    assert(!fx.cachedFile(work.cache, fx.REPO, 'onnx/model.onnx'), 'fp32 snapshot link exists after cancel');
  }, {needs: downloaded});

  await test('pause/resume: int8 pauses, resumes and completes; progress never goes backwards', async () => {
    await page.selectOption('#variant', 'int8');
    const int8 = await hold('model_int8.onnx', 4 * MiB); // still running when the pause comes
    await page.click('#download');
    await page.waitForFunction(() => Number(document.getElementById('total-pct').dataset.value) > 0 ||
      ['done', 'error', 'cancelled'].includes(document.getElementById('job').dataset.status), null, {timeout: 60_000});
    await page.click('#pause');
    let r = await waitJob('paused', 60_000);
    await release(int8);
    assert(r.status === 'paused', `expected paused, job is ${r.status}: ${r.error}`);
    assert(await page.$eval('#resume', (b) => !b.disabled), 'Resume button not enabled while paused');
    await page.click('#resume');
    r = await waitJob('done');
    assert(r.status === 'done', `job ended ${r.status}: ${r.error}`);
    const values = r.log.filter((e) => Number.isFinite(e.progress)).map((e) => e.progress);
    for (let i = 1; i < values.length; i++) assert(values[i] >= values[i - 1], `progress went backwards: ${values.join(', ')}`);
    const f = fx.cachedFile(work.cache, fx.REPO, 'onnx/model_int8.onnx');
    assert(f && f.blobName === repoHashes['onnx/model_int8.onnx'] && fx.sha256File(f.blob) === f.blobName,
      'int8 blob missing or not verified after resume');
  }, {needs: downloaded});

  await test('tokenizer: transformers.js loads it through open_file_server and encodes a sentence', async () => {
    // The tokenizer files came with the q4f16 download: the hub must not see a request for them.
    await fetch(`${hub.url}/__fakehub/reset`, {method: 'POST', body: '{}'});
    const r = await page.evaluate(async ([repo, sentence]) => {
      try {
        return {ids: await window.tabagent.loadTokenizer(repo, sentence)};
      } catch (e) {
        return {error: e.message, code: e.code};
      }
    }, [fx.REPO, fx.TOKENIZER_SENTENCE]);
    assert(!r.error, `tokenizer failed: ${r.code || ''} ${r.error}`);
    assert(JSON.stringify(r.ids) === JSON.stringify(fx.TOKENIZER_IDS), `ids ${JSON.stringify(r.ids)}`);
    const seen = await (await fetch(`${hub.url}/__fakehub/requests?wait_ms=500`)).json();
    const cached = ['tokenizer.json', 'config.json'];
    const again = seen.filter((q) => cached.some((f) => `${q.path}?${q.query || ''}`.includes(f)));
    assert(again.length === 0, `the hub was asked for cached files: ${JSON.stringify(again.map((q) => q.path))}`);
  }, {needs: hostUp});

  if (page) await page.screenshot({path: path.join(ARTIFACTS, 'e2e-final.png'), fullPage: true}).catch(() => {});
}

try {
  await main();
} catch (e) {
  results.push({name: 'harness', status: 'failed', why: e.message});
  console.log(`FAIL - harness: ${e.stack}`);
} finally {
  if (context) await context.close().catch(() => {});
  if (hub) await hub.stop();
  fs.writeFileSync(path.join(ARTIFACTS, 'console.log'), consoleLines.join('\n') + '\n');
  for (const f of ['install.log', 'fakehub.log']) {
    const p = path.join(work.root, f);
    if (fs.existsSync(p)) fs.copyFileSync(p, path.join(ARTIFACTS, f));
  }
  const logs = path.join(work.data, 'logs');
  if (fs.existsSync(logs)) for (const f of fs.readdirSync(logs)) fs.copyFileSync(path.join(logs, f), path.join(ARTIFACTS, `host-${f}`));
  if (KEEP) console.log(`kept ${work.root}`);
  else fs.rmSync(work.root, {recursive: true, force: true});
}

const count = (s) => results.filter((r) => r.status === s).length;
const failedCount = count('failed');
if (failedCount) console.log(`failures: ${results.filter((r) => r.status === 'failed').map((r) => r.name).join('; ')}`);
console.log(`e2e: ${count('passed')} passed, ${failedCount} failed, ${count('skipped')} skipped`);
process.exit(failedCount ? 1 : 0);
