// The sample page: talks to the service worker (which owns the native port) and renders the cache,
// a repo scan, one download job with live progress, and a tokenizer loaded through the host's file
// server. Everything the browser test reads is in the DOM (ids, data-*) and on window.tabagent.
// Plain JS loaded as is; JSDoc types (docs/protocol.d.ts, client.js) are checked by tsc in CI.
import {HostError} from './client.js';

/** @typedef {import('../docs/protocol').Action} Action */
/** @typedef {import('../docs/protocol').HostEvent} HostEvent */
/** @typedef {import('../docs/protocol').ProgressEvent} ProgressEvent */
/** @typedef {import('../docs/protocol').ProgressPayload} ProgressPayload */
/** @typedef {import('../docs/protocol').ProgressStatus} ProgressStatus */
/** @typedef {import('../docs/protocol').CachedModel} CachedModel */
/** @typedef {import('../docs/protocol').Manifest} Manifest */
/** @typedef {import('../docs/protocol').HandshakePayload} HandshakePayload */
/** @typedef {import('./client.js').PageRequest} PageRequest */
/** @typedef {import('./client.js').WorkerMessage} WorkerMessage */
/**
 * @template {Action} A
 * @typedef {import('./client.js').RequestArgs<A>} RequestArgs
 */
/**
 * @template {Action} A
 * @typedef {import('./client.js').SuccessReplyOf<A>} SuccessReplyOf
 */

/**
 * The page's elements by id, with their types (page.html).
 * @typedef {{'host-status': HTMLElement, 'host-info': HTMLElement, 'models-count': HTMLElement,
 *   'refresh-models': HTMLButtonElement, models: HTMLUListElement, repo: HTMLInputElement,
 *   scan: HTMLButtonElement, 'scan-status': HTMLElement, variant: HTMLSelectElement,
 *   download: HTMLButtonElement, job: HTMLElement, 'job-id': HTMLElement, 'job-status': HTMLElement,
 *   total: HTMLProgressElement, 'total-pct': HTMLElement, 'total-bytes': HTMLElement,
 *   'files-count': HTMLElement, speed: HTMLElement, eta: HTMLElement, files: HTMLUListElement,
 *   pause: HTMLButtonElement, resume: HTMLButtonElement, cancel: HTMLButtonElement,
 *   'job-error': HTMLElement, 'tokenizer-repo': HTMLInputElement, sentence: HTMLInputElement,
 *   'load-tokenizer': HTMLButtonElement, tokens: HTMLElement, log: HTMLElement}} Elements
 */
/**
 * @template {keyof Elements} K
 * @param {K} id
 * @returns {Elements[K]}
 */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page.html has no #${id}`);
  return /** @type {Elements[K]} */ (el);
}
const VARIANT_ORDER = ['q4f16', 'q4', 'int8', 'uint8', 'fp16', 'fp32', 'bnb4', 'q8', 'quantized'];
/** @type {Set<string>} */
const TERMINAL = new Set(['done', 'error', 'cancelled']);

/** @typedef {{progress: number | null, state: 'pending' | 'downloading' | 'done'}} FileRow */
/**
 * @typedef {object} JobView
 * @property {ProgressStatus | 'starting'} status
 * @property {number} progress  0-100 over all the job's bytes
 * @property {Map<string, FileRow>} files
 * @property {Partial<ProgressPayload> | null} lastPayload
 */
/**
 * @typedef {object} ProgressLogEntry
 * @property {ProgressStatus | undefined} status
 * @property {number | undefined} progress
 * @property {string | undefined} file
 * @property {number | undefined} loaded
 * @property {number | undefined} total
 * @property {number | undefined} filesDone
 * @property {number | undefined} filesTotal
 * @property {number} t  performance.now() when the event arrived
 */
/** @typedef {{name: string, key: string, size: number, status: string | undefined, files: string[]}} VariantView */

const state = {
  connected: false,
  /** @type {(HandshakePayload & {pid: number}) | null} */
  hostInfo: null,
  /** @type {CachedModel[]} */
  models: [],
  /** @type {Manifest | null} */
  manifest: null,
  /** @type {string | null} */
  jobId: null,
  /** @type {JobView | null} */
  job: null,
  /** @type {HostEvent[]} every event seen, in order */
  events: [],
  /** @type {ProgressLogEntry[]} one entry per modelWorkerLoadingProgress event of the current job */
  progressLog: [],
  /** @type {Map<string, ProgressEvent[]>} jobId -> events that arrived before we knew the job */
  orphanEvents: new Map(),
  /** @type {number[] | null} */
  tokens: null,
  /** @type {string | null} */
  tokenizerError: null,
  /** @type {string | null} */
  baseUrl: null,
};

// ------------------------------------------------------------------ service-worker bridge
const port = chrome.runtime.connect({name: 'page'});
/** @type {Map<number, {resolve: (reply: any) => void, reject: (err: Error) => void}>} */
const pending = new Map();
let nextId = 0;

port.onMessage.addListener((/** @type {WorkerMessage} */ msg) => {
  if (msg.kind === 'reply') {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.reply);
    else p.reject(new HostError(msg.error.message, msg.error.code, msg.error.reply));
  } else if (msg.kind === 'event') {
    onEvent(msg.event);
  } else if (msg.kind === 'status') {
    setStatus(msg.connected ? 'connected' : (msg.error ? 'error' : 'connecting'), msg.error);
  }
});

/**
 * Sends a request through the service worker; resolves with the host's success reply (typed by
 * action), rejects with a HostError.
 * @template {Action} A
 * @param {A} action
 * @param {RequestArgs<A>} args  [fields, timeoutMs]
 * @returns {Promise<SuccessReplyOf<A>>}
 */
function request(action, ...args) {
  const [fields = {}, timeoutMs] = args;
  const id = ++nextId;
  /** @type {Promise<SuccessReplyOf<A>>} */
  const sent = new Promise((resolve, reject) => {
    pending.set(id, {resolve, reject});
    /** @type {PageRequest} */
    const msg = {kind: 'request', id, action, fields};
    if (timeoutMs) msg.timeoutMs = timeoutMs;
    port.postMessage(msg);
  });
  return sent.then((reply) => {
    log(`${action} -> success`);
    return reply;
  }, (/** @type {Error} */ err) => {
    const code = err instanceof HostError && err.code ? err.code + ': ' : '';
    log(`${action} -> ${code}${err.message}`);
    throw err;
  });
}

// ------------------------------------------------------------------ helpers
/** @param {string} text */
function log(text) {
  const line = `${new Date().toISOString().slice(11, 23)} ${text}\n`;
  const el = $('log');
  el.textContent += line;
  el.scrollTop = el.scrollHeight;
}

/** @param {number | undefined} n @returns {string} */
function fmtBytes(n) {
  if (n === undefined || !Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/** @param {number | null | undefined} s @returns {string} */
function fmtEta(s) {
  if (s === null || s === undefined || !Number.isFinite(s) || s < 0) return '';
  s = Math.round(s);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s left` : `${s} s left`;
}

/**
 * @param {'connected' | 'connecting' | 'error'} kind
 * @param {string | null} [error]
 */
function setStatus(kind, error) {
  state.connected = kind === 'connected';
  const el = $('host-status');
  el.dataset.state = kind;
  el.textContent = kind === 'error' ? `host error: ${error}` : kind;
}

// ------------------------------------------------------------------ cache listing
/** @returns {Promise<CachedModel[]>} */
async function refreshModels() {
  const reply = await request('list_models');
  const models = reply.payload.models;
  state.models = models;
  const ul = $('models');
  ul.replaceChildren();
  for (const m of models) {
    const li = document.createElement('li');
    li.dataset.repo = m.repo;
    li.dataset.variants = m.variants.join(',');
    li.textContent = `${m.repo} — ${fmtBytes(m.size)}${m.variants.length ? ' — ' + m.variants.join(', ') : ''}`;
    ul.append(li);
  }
  $('models-count').textContent = String(models.length);
  $('models-count').dataset.count = String(models.length);
  return models;
}

// ------------------------------------------------------------------ scan + variants
// Both manifest dialects: native {quants:{q4f16:{...}}} and extension {quants:{"onnx/x.onnx":{dtype}}}.
/**
 * @param {Manifest | null} manifest
 * @returns {VariantView[]}
 */
function variantsOf(manifest) {
  /** @type {VariantView[]} */
  const out = [];
  if (!manifest) return out;
  if ('manifestVersion' in manifest) {
    for (const [key, q] of Object.entries(manifest.quants)) {
      const size = Object.values(q.fileSizes).reduce((a, b) => a + b, 0);
      out.push({name: q.dtype, key, size, status: q.status, files: q.files});
    }
  } else {
    for (const [key, q] of Object.entries(manifest.quants)) {
      out.push({name: key, key, size: q.total_size, status: q.status, files: q.files});
    }
  }
  /** @param {string} n */
  const rank = (n) => { const i = VARIANT_ORDER.indexOf(n); return i < 0 ? 99 : i; };
  return out.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

async function scan() {
  const repo = $('repo').value.trim();
  $('scan-status').dataset.state = 'scanning';
  $('scan-status').textContent = 'scanning…';
  try {
    const reply = await request('scan_repo', {repo});
    const manifest = reply.payload.manifest;
    state.manifest = manifest;
    const select = $('variant');
    select.replaceChildren();
    const variants = variantsOf(state.manifest);
    for (const v of variants) {
      const opt = document.createElement('option');
      opt.value = v.name;
      opt.dataset.size = String(v.size ?? '');
      opt.textContent = `${v.name} — ${fmtBytes(v.size)}${v.status ? ' (' + v.status + ')' : ''}`;
      select.append(opt);
    }
    const recommended = manifest.recommended;
    if (recommended && variants.some((v) => v.name === recommended)) select.value = recommended;
    select.disabled = variants.length === 0;
    $('download').disabled = variants.length === 0;
    $('scan-status').dataset.state = 'done';
    $('scan-status').textContent = `${variants.length} variants`;
    if (!$('tokenizer-repo').value) $('tokenizer-repo').value = repo;
    return variants.map((v) => v.name);
  } catch (e) {
    $('scan-status').dataset.state = 'error';
    $('scan-status').textContent = e instanceof Error ? e.message : String(e);
    throw e;
  }
}

// ------------------------------------------------------------------ download job
/**
 * @param {string} [variant]
 * @param {string} [repo]
 * @returns {Promise<string>} the job id
 */
async function download(variant = $('variant').value, repo = $('repo').value.trim()) {
  const view = resetJob();
  const reply = await request('download_quant', {repo, quant: variant});
  const jobId = reply.payload.jobId;
  state.jobId = jobId;
  $('job').dataset.jobId = jobId;
  $('job-id').textContent = jobId;
  for (const ev of state.orphanEvents.get(jobId) || []) applyJobEvent(view, ev);
  state.orphanEvents.delete(jobId);
  return jobId;
}

/** @returns {JobView} */
function resetJob() {
  state.jobId = null;
  /** @type {JobView} */
  const view = {status: 'starting', progress: 0, files: new Map(), lastPayload: null};
  state.job = view;
  state.progressLog = [];
  const job = $('job');
  job.hidden = false;
  job.dataset.jobId = '';
  job.dataset.status = 'starting';
  $('job-status').textContent = 'starting';
  $('total').value = 0;
  $('total-pct').textContent = '0.0%';
  $('total-pct').dataset.value = '0';
  /** @type {(keyof Elements)[]} */
  const cleared = ['total-bytes', 'files-count', 'speed', 'eta', 'job-error'];
  for (const id of cleared) $(id).textContent = '';
  $('job-error').dataset.code = '';
  $('files').replaceChildren();
  $('pause').disabled = false;
  $('resume').disabled = true;
  $('cancel').disabled = false;
  return view;
}

/** @param {HostEvent} ev */
function onEvent(ev) {
  state.events.push(ev);
  if (ev.type !== 'modelWorkerLoadingProgress' || !ev.jobId) return;
  if (ev.jobId === state.jobId && state.job) applyJobEvent(state.job, ev);
  else if (!state.jobId || !TERMINAL.has(state.job?.status ?? '')) {
    // An event of a job whose reply we have not processed yet (or of another page's job).
    let early = state.orphanEvents.get(ev.jobId);
    if (!early) state.orphanEvents.set(ev.jobId, early = []);
    early.push(ev);
  }
}

// The total bar shows the job's `progress` (0-100 over all its bytes, what TabAgent's UI renders);
// `loaded`/`total` are job-wide too. Per-file bars use fileLoaded/fileTotal when the host sends them;
// otherwise the file named by an event is shown as active with an indeterminate bar (events name the
// most recent file only, and files finish in any order) until the job is done.
/**
 * @param {JobView} job
 * @param {ProgressEvent} ev
 */
function applyJobEvent(job, ev) {
  /** @type {Partial<ProgressPayload>} older hosts may omit fields */
  const p = ev.payload || {};
  job.lastPayload = p;
  if (p.status) job.status = p.status;
  if (p.progress !== undefined && Number.isFinite(p.progress)) job.progress = p.progress;
  if (p.status === 'done') job.progress = 100;
  state.progressLog.push({status: p.status, progress: p.progress, file: p.file, loaded: p.loaded,
                          total: p.total, filesDone: p.filesDone, filesTotal: p.filesTotal,
                          t: performance.now()});

  if (p.file) {
    /** @type {FileRow} */
    const f = job.files.get(p.file) || {progress: null, state: 'pending'};
    if (p.fileLoaded !== undefined && p.fileTotal !== undefined && Number.isFinite(p.fileLoaded) && p.fileTotal > 0) {
      f.progress = Math.max(f.progress ?? 0, Math.min(100, (100 * p.fileLoaded) / p.fileTotal));
    }
    if (f.state !== 'done') f.state = f.progress === 100 ? 'done' : 'downloading';
    job.files.set(p.file, f);
  }
  if (p.status === 'done') for (const f of job.files.values()) { f.state = 'done'; f.progress = 100; }
  renderJob(job, p);
}

/**
 * @param {JobView} job
 * @param {Partial<ProgressPayload>} p
 */
function renderJob(job, p) {
  const el = $('job');
  el.dataset.status = job.status;
  $('job-status').textContent = job.status + (p.cached ? ' (already cached)' : '');
  const pct = Math.max(0, Math.min(100, job.progress));
  $('total').value = pct;
  $('total-pct').textContent = `${pct.toFixed(1)}%`;
  $('total-pct').dataset.value = String(pct);
  if (p.loaded !== undefined && p.total !== undefined && Number.isFinite(p.loaded) && p.total > 0 && p.status !== 'initiate') {
    $('total-bytes').textContent = `${fmtBytes(p.loaded)} / ${fmtBytes(p.total)}`;
  }
  if (p.filesTotal !== undefined && Number.isFinite(p.filesTotal)) $('files-count').textContent = `${p.filesDone ?? 0} / ${p.filesTotal} files`;
  $('speed').textContent = p.bytesPerSecond !== undefined && Number.isFinite(p.bytesPerSecond) && p.status === 'progress'
    ? `${fmtBytes(p.bytesPerSecond)}/s` : '';
  $('eta').textContent = p.status === 'progress' ? fmtEta(p.etaSeconds) : '';
  // The host waits for the Hub (429 Retry-After, its request budget): say so instead of an ETA.
  if (typeof p.retryInSeconds === 'number' && !TERMINAL.has(job.status)) {
    $('eta').textContent = `waiting for the Hub, ${Math.ceil(p.retryInSeconds)} s`;
    $('eta').dataset.waiting = 'true';
  } else {
    delete $('eta').dataset.waiting;
  }

  const ul = $('files');
  for (const [name, f] of job.files) {
    /** @type {HTMLLIElement | null} */
    let li = ul.querySelector(`li[data-file="${CSS.escape(name)}"]`);
    if (!li) {
      li = document.createElement('li');
      li.dataset.file = name;
      li.innerHTML = '<span class="name"></span><progress max="100" value="0"></progress><span class="pct"></span>';
      const label = li.querySelector('.name');
      if (label) label.textContent = name;
      ul.append(li);
    }
    li.dataset.state = f.state;
    const bar = li.querySelector('progress');
    if (!bar) continue;
    if (f.progress === null) bar.removeAttribute('value'); // indeterminate: no per-file byte counts
    else bar.value = f.progress;
    const pctText = li.querySelector('.pct');
    if (pctText) pctText.textContent = f.progress === null ? '' : `${f.progress.toFixed(0)}%`;
  }

  const terminal = TERMINAL.has(job.status);
  $('pause').disabled = terminal || job.status === 'paused';
  $('resume').disabled = job.status !== 'paused';
  $('cancel').disabled = terminal;
  if (p.error) {
    $('job-error').dataset.code = p.error.code || '';
    $('job-error').textContent = `${p.error.code || 'ERROR'}: ${p.error.message || p.message || ''}`;
  }
}

/**
 * @param {'pause_download' | 'resume_download' | 'cancel_download'} action
 */
async function jobAction(action) {
  if (!state.jobId) return null;
  return request(action, {jobId: state.jobId});
}

// ------------------------------------------------------------------ tokenizer via the file server
/** @type {any} vendor/transformers.min.js, copied at test time (untyped here) */
let transformers = null;
/**
 * @param {string} [repo]
 * @param {string} [sentence]
 * @returns {Promise<number[]>}
 */
async function loadTokenizer(repo = $('tokenizer-repo').value.trim(), sentence = $('sentence').value) {
  const out = $('tokens');
  out.dataset.state = 'loading';
  out.textContent = 'loading…';
  state.tokens = null;
  state.tokenizerError = null;
  try {
    if (!transformers) {
      // vendor/ is filled at build/test time from node_modules (see README); MV3 forbids remote code.
      // A non-literal specifier: tsc must not type-check the 1 MB minified bundle.
      const bundle = './vendor/transformers.min.js';
      transformers = await import(bundle);
    }
    const {env, AutoTokenizer} = transformers;
    const reply = await request('open_file_server');
    const baseUrl = reply.payload.baseUrl;
    state.baseUrl = baseUrl;
    env.allowLocalModels = false;
    env.allowRemoteModels = true;
    env.useBrowserCache = false;
    env.remoteHost = baseUrl;
    env.remotePathTemplate = reply.payload.remotePathTemplate;
    const tokenizer = await AutoTokenizer.from_pretrained(repo);
    const ids = Array.from(tokenizer.encode(sentence), Number);
    state.tokens = ids;
    out.dataset.state = 'done';
    out.dataset.count = String(ids.length);
    out.textContent = `${ids.length} tokens: ${JSON.stringify(ids)}`;
    return ids;
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    state.tokenizerError = text;
    out.dataset.state = 'error';
    out.textContent = `error: ${text}`;
    throw e;
  }
}

// ------------------------------------------------------------------ wiring
/** @param {() => Promise<unknown>} fn */
const ui = (fn) => () => { fn().catch((e) => console.warn(e)); };
$('refresh-models').addEventListener('click', ui(refreshModels));
$('scan').addEventListener('click', ui(scan));
$('download').addEventListener('click', ui(() => download()));
$('pause').addEventListener('click', ui(() => jobAction('pause_download')));
$('resume').addEventListener('click', ui(() => jobAction('resume_download')));
$('cancel').addEventListener('click', ui(() => jobAction('cancel_download')));
$('load-tokenizer').addEventListener('click', ui(() => loadTokenizer()));

const params = new URLSearchParams(location.search);
const repoParam = params.get('repo');
if (repoParam) $('repo').value = repoParam;

const ready = (async () => {
  const reply = await request('handshake');
  const p = {...reply.payload, pid: reply.payload.pid ?? reply.pid};
  state.hostInfo = p;
  setStatus('connected');
  $('host-info').textContent = `tabagent-host ${p.version} (pid ${p.pid}) cache ${p.cacheRoot}`;
  return p;
})();
ready.then(() => refreshModels()).catch((e) => {
  if (!state.connected) setStatus('error', e instanceof Error ? e.message : String(e));
});

// For the browser test and for people poking at the console.
/** @type {any} */ (window).tabagent = {state, ready, request, refreshModels, scan, download, loadTokenizer,
                   pause: () => jobAction('pause_download'), resume: () => jobAction('resume_download'),
                   cancel: () => jobAction('cancel_download'),
                   get progressLog() { return state.progressLog; }, get events() { return state.events; }};
