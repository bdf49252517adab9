// Everything the browser test sets up outside the browser, in one place: the temporary HOME and
// profile, the sample repo on the fake hub, the fake hub process, and the host installation.
import {spawn, spawnSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {fileURLToPath} from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const EXTENSION_DIR = path.join(ROOT, 'extension-sample');

export function sampleExtensionId() {
  const readme = fs.readFileSync(path.join(EXTENSION_DIR, 'README.md'), 'utf8');
  const m = readme.match(/^Extension id: `([a-p]{32})`/m);
  if (!m) throw new Error('extension-sample/README.md does not state the extension id');
  return m[1];
}

// The repo the test downloads. Sizes are chosen with the fake hub's rate cap so that a download
// takes a few seconds and the page sees many intermediate progress values.
export const REPO = 'e2e-org/tiny-onnx-e2e';
const MiB = 1024 * 1024;
export const REPO_FILES = {
  'onnx/model_q4f16.onnx': 40 * MiB, // the variant downloaded to completion
  'onnx/model.onnx': 24 * MiB, // fp32: cancelled mid-way
  'onnx/model_int8.onnx': 24 * MiB, // int8: paused and resumed
};
export const TOKENIZER_SENTENCE = 'Hello from the TabAgent host.';
export const TOKENIZER_IDS = [1, 2, 3, 4, 5, 6];

// A real (tiny) tokenizer that transformers.js can load, so encoding a sentence is checkable.
const TOKENIZER_JSON = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [{id: 0, content: '[UNK]', single_word: false, lstrip: false, rstrip: false,
                  normalized: false, special: true}],
  normalizer: {type: 'Lowercase'},
  pre_tokenizer: {type: 'Whitespace'},
  post_processor: null,
  decoder: null,
  model: {type: 'WordLevel', unk_token: '[UNK]',
          vocab: {'[UNK]': 0, hello: 1, from: 2, the: 3, tabagent: 4, host: 5, '.': 6}},
};

export function makeWorkDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tabagent-e2e-'));
  const d = {
    root: dir,
    home: path.join(dir, 'home'),
    profile: path.join(dir, 'profile'),
    cache: path.join(dir, 'cache'),
    data: path.join(dir, 'tabagent-data'),
    hub: path.join(dir, 'hub'),
  };
  for (const p of Object.values(d)) fs.mkdirSync(p, {recursive: true});
  return d;
}

function writeRandomFile(file, size) {
  fs.mkdirSync(path.dirname(file), {recursive: true});
  const fd = fs.openSync(file, 'w');
  const hash = createHash('sha256');
  const chunk = randomBytes(MiB);
  try {
    for (let written = 0; written < size; written += MiB) {
      // Vary each MiB so that a misplaced range shows up as a hash mismatch.
      chunk.writeUInt32LE(written / MiB, 0);
      const part = chunk.subarray(0, Math.min(MiB, size - written));
      fs.writeSync(fd, part);
      hash.update(part);
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

// Writes the sample repo as the fake hub reads it: <hub>/<owner>/<name>/<files>. Returns the
// sha256 of every weight file, by path.
export function makeRepo(hubRoot, repo = REPO) {
  const dir = path.join(hubRoot, ...repo.split('/'));
  fs.mkdirSync(dir, {recursive: true});
  const json = (name, value) => fs.writeFileSync(path.join(dir, name), JSON.stringify(value, null, 2));
  json('config.json', {model_type: 'bert', architectures: ['BertModel'], hidden_size: 32,
                       'transformers.js_config': {dtype: 'q4f16'}});
  json('tokenizer.json', TOKENIZER_JSON);
  json('tokenizer_config.json', {tokenizer_class: 'PreTrainedTokenizerFast', unk_token: '[UNK]',
                                 model_max_length: 512, do_lower_case: true});
  json('special_tokens_map.json', {unk_token: '[UNK]'});
  fs.writeFileSync(path.join(dir, 'README.md'), '# tiny-onnx-e2e\nA repo made by the browser test.\n');
  const hashes = {};
  for (const [file, size] of Object.entries(REPO_FILES)) {
    hashes[file] = writeRandomFile(path.join(dir, file), size);
  }
  return {dir, hashes};
}

// Finds a built binary in a CMake build tree (or a flat dir).
export function findBinary(buildDir, name) {
  for (const sub of ['', 'bin', 'src/host', 'src/cli', 'tests/fakehub']) {
    const p = path.join(buildDir, sub, name);
    if (fs.existsSync(p)) return p;
  }
  return null;
}

// Starts the fake hub on a free port; resolves once it printed its "listening on" line.
export function startFakeHub(buildDir, hubRoot, {ratePerConnection = 0, log = null} = {}) {
  const bin = findBinary(buildDir, 'fakehub');
  if (!bin) throw new Error(`fakehub not found in ${buildDir} (tests/fakehub must be built)`);
  const args = ['--root', hubRoot, '--port', '0'];
  if (ratePerConnection) args.push('--rate-per-connection', String(ratePerConnection));
  const child = spawn(bin, args, {stdio: ['ignore', 'pipe', log ? 'pipe' : 'inherit']});
  if (log) child.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({input: child.stdout});
    const timer = setTimeout(() => { child.kill(); reject(new Error('fakehub did not start within 20 s')); }, 20_000);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`fakehub exited early (${code})`)); });
    lines.once('line', (line) => {
      clearTimeout(timer);
      const m = line.match(/listening on (http:\/\/127\.0\.0\.1:\d+)/);
      if (!m) { child.kill(); reject(new Error(`unexpected fakehub banner: ${line}`)); return; }
      lines.on('line', () => {}); // keep draining
      resolve({url: m[1], process: child,
               stop: () => new Promise((r) => { if (child.exitCode !== null) r(); else { child.once('exit', r); child.kill('SIGTERM'); } })});
    });
  });
}

// Environment of the browser (and so of the host, which inherits it).
export function hostEnv(work, hubUrl) {
  return {
    PATH: process.env.PATH,
    HOME: work.home,
    TABAGENT_HOME: work.data,
    TABAGENT_CACHE: work.cache,
    HF_ENDPOINT: hubUrl,
    HF_HUB_DISABLE_TELEMETRY: '1',
    // Few connections so the rate cap of the fake hub bounds the total speed.
    TABAGENT_MAX_CONNECTIONS: '2',
    TABAGENT_LOG_LEVEL: 'debug',
  };
}

// Installs the host from the build tree with the installer, registered into the test profile.
export function installHost(buildDir, work, env, extensionId) {
  const nmDir = path.join(work.profile, 'NativeMessagingHosts');
  const r = spawnSync('bash', [path.join(ROOT, 'installer/install.sh'), '--prebuilt', buildDir,
                               '--extension-id', extensionId, '--browser-dir', nmDir, '--no-deps'],
                      {env, encoding: 'utf8'});
  return {ok: r.status === 0, output: (r.stdout || '') + (r.stderr || ''), manifest: path.join(nmDir, 'com.tabagent.host.json')};
}

// The cache as the host should have left it: snapshot link -> blob named by its sha256.
export function cachedFile(cacheRoot, repo, file) {
  const repoDir = path.join(cacheRoot, `models--${repo.replace('/', '--')}`);
  const snapshots = path.join(repoDir, 'snapshots');
  if (!fs.existsSync(snapshots)) return null;
  for (const commit of fs.readdirSync(snapshots)) {
    const link = path.join(snapshots, commit, file);
    if (!fs.existsSync(link)) continue;
    const target = fs.realpathSync(link);
    return {link, commit, isSymlink: fs.lstatSync(link).isSymbolicLink(), blob: target,
            blobName: path.basename(target), size: fs.statSync(target).size};
  }
  return null;
}

export function sha256File(file) {
  const hash = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(4 * MiB);
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest('hex');
}

export function blobNames(cacheRoot, repo) {
  const blobs = path.join(cacheRoot, `models--${repo.replace('/', '--')}`, 'blobs');
  return fs.existsSync(blobs) ? fs.readdirSync(blobs) : [];
}

export function copyVendor() {
  const r = spawnSync('bash', [path.join(EXTENSION_DIR, 'vendor.sh')], {encoding: 'utf8'});
  return {ok: r.status === 0, output: (r.stdout || '') + (r.stderr || '')};
}
