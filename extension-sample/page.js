// The sample page: talks to the service worker (which owns the native port) and renders the cache,
// a repo scan, one download job with live progress, and a tokenizer loaded through the host's file
// server. Everything the browser test reads is in the DOM (ids, data-*) and on window.tabagent.

const $ = (id) => document.getElementById(id);
const VARIANT_ORDER = ['q4f16', 'q4', 'int8', 'uint8', 'fp16', 'fp32', 'bnb4', 'q8', 'quantized'];
const TERMINAL = new Set(['done', 'error', 'cancelled']);

const state = {
  connected: false,
  hostInfo: null,
  models: [],
  manifest: null,
  jobId: null,
  job: null, // {status, progress, files: Map(file -> {loaded,total,progress,state}), ...}
  events: [], // every event seen, in order
  progressLog: [], // one entry per modelWorkerLoadingProgress event of the current job
  orphanEvents: new Map(), // jobId -> events that arrived before we knew the job
  tokens: null,
  tokenizerError: null,
  baseUrl: null,
};

// ------------------------------------------------------------------ service-worker bridge
const port = chrome.runtime.connect({name: 'page'});
const pending = new Map();
let nextId = 0;

port.onMessage.addListener((msg) => {
  if (msg.kind === 'reply') {
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.reply);
    else {
      const err = new Error(msg.error.message);
      err.code = msg.error.code;
      err.reply = msg.error.reply;
      p.reject(err);
    }
  } else if (msg.kind === 'event') {
    onEvent(msg.event);
  } else if (msg.kind === 'status') {
    setStatus(msg.connected ? 'connected' : (msg.error ? 'error' : 'connecting'), msg.error);
  }
});

function request(action, fields = {}, timeoutMs) {
  const id = ++nextId;
  return new Promise((resolve, reject) => {
    pending.set(id, {resolve, reject});
    port.postMessage({kind: 'request', id, action, fields, timeoutMs});
  }).then((reply) => {
    log(`${action} -> success`);
    return reply;
  }, (err) => {
    log(`${action} -> ${err.code ? err.code + ': ' : ''}${err.message}`);
    throw err;
  });
}

// ------------------------------------------------------------------ helpers
function log(text) {
  const line = `${new Date().toISOString().slice(11, 23)} ${text}\n`;
  const el = $('log');
  el.textContent += line;
  el.scrollTop = el.scrollHeight;
}

function fmtBytes(n) {
  if (!Number.isFinite(n)) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function fmtEta(s) {
  if (!Number.isFinite(s) || s < 0) return '';
  s = Math.round(s);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s left` : `${s} s left`;
}

function setStatus(kind, error) {
  state.connected = kind === 'connected';
  const el = $('host-status');
  el.dataset.state = kind;
  el.textContent = kind === 'error' ? `host error: ${error}` : kind;
}

// ------------------------------------------------------------------ cache listing
async function refreshModels() {
  const reply = await request('list_models');
  const p = reply.payload || {};
  const models = p.models || p.repos || [];
  state.models = models;
  const ul = $('models');
  ul.replaceChildren();
  for (const m of models) {
    const repo = m.repo || m.repo_id || m.id || m.name;
    const li = document.createElement('li');
    li.dataset.repo = repo;
    const variants = Array.isArray(m.variants) ? m.variants : Object.keys(m.variants || m.quants || {});
    li.dataset.variants = variants.join(',');
    const size = m.size ?? m.total_size ?? m.sizeOnDisk;
    li.textContent = `${repo} — ${fmtBytes(size)}${variants.length ? ' — ' + variants.join(', ') : ''}`;
    ul.append(li);
  }
  $('models-count').textContent = String(models.length);
  $('models-count').dataset.count = String(models.length);
  return models;
}

// ------------------------------------------------------------------ scan + variants
// Both manifest dialects: native {quants:{q4f16:{...}}} and extension {quants:{"onnx/x.onnx":{dtype}}}.
function variantsOf(manifest) {
  const out = [];
  for (const [key, q] of Object.entries(manifest?.quants || {})) {
    const name = q.dtype && key.includes('/') ? q.dtype : key;
    const size = q.total_size ?? Object.values(q.fileSizes || {}).reduce((a, b) => a + b, 0);
    out.push({name, key, size, status: q.status, files: q.files || []});
  }
  const rank = (n) => { const i = VARIANT_ORDER.indexOf(n); return i < 0 ? 99 : i; };
  return out.sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
}

async function scan() {
  const repo = $('repo').value.trim();
  $('scan-status').dataset.state = 'scanning';
  $('scan-status').textContent = 'scanning…';
  try {
    const reply = await request('scan_repo', {repo});
    state.manifest = reply.payload.manifest;
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
    const recommended = state.manifest.recommended || state.manifest.recommendation;
    if (recommended && variants.some((v) => v.name === recommended)) select.value = recommended;
    select.disabled = variants.length === 0;
    $('download').disabled = variants.length === 0;
    $('scan-status').dataset.state = 'done';
    $('scan-status').textContent = `${variants.length} variants`;
    if (!$('tokenizer-repo').value) $('tokenizer-repo').value = repo;
    return variants.map((v) => v.name);
  } catch (e) {
    $('scan-status').dataset.state = 'error';
    $('scan-status').textContent = e.message;
    throw e;
  }
}

// ------------------------------------------------------------------ download job
async function download(variant = $('variant').value, repo = $('repo').value.trim()) {
  resetJob();
  const reply = await request('download_quant', {repo, quant: variant});
  const jobId = reply.payload.jobId;
  state.jobId = jobId;
  $('job').dataset.jobId = jobId;
  $('job-id').textContent = jobId;
  for (const ev of state.orphanEvents.get(jobId) || []) applyJobEvent(ev);
  state.orphanEvents.delete(jobId);
  return jobId;
}

function resetJob() {
  state.jobId = null;
  state.job = {status: 'starting', progress: 0, files: new Map(), lastPayload: null};
  state.progressLog = [];
  const job = $('job');
  job.hidden = false;
  job.dataset.jobId = '';
  job.dataset.status = 'starting';
  $('job-status').textContent = 'starting';
  $('total').value = 0;
  $('total-pct').textContent = '0.0%';
  $('total-pct').dataset.value = '0';
  for (const id of ['total-bytes', 'files-count', 'speed', 'eta', 'job-error']) $(id).textContent = '';
  $('job-error').dataset.code = '';
  $('files').replaceChildren();
  $('pause').disabled = false;
  $('resume').disabled = true;
  $('cancel').disabled = false;
}

function onEvent(ev) {
  state.events.push(ev);
  if (ev.type !== 'modelWorkerLoadingProgress' || !ev.jobId) return;
  if (ev.jobId === state.jobId) applyJobEvent(ev);
  else if (!state.jobId || !TERMINAL.has(state.job?.status)) {
    // An event of a job whose reply we have not processed yet (or of another page's job).
    if (!state.orphanEvents.has(ev.jobId)) state.orphanEvents.set(ev.jobId, []);
    state.orphanEvents.get(ev.jobId).push(ev);
  }
}

// The total bar shows the job's `progress` (0-100 over all its bytes, what TabAgent's UI renders);
// `loaded`/`total` are job-wide too. Per-file bars use fileLoaded/fileTotal when the host sends them;
// otherwise the file named by an event is shown as active with an indeterminate bar (events name the
// most recent file only, and files finish in any order) until the job is done.
function applyJobEvent(ev) {
  const p = ev.payload || {};
  const job = state.job;
  job.lastPayload = p;
  if (p.status) job.status = p.status;
  if (Number.isFinite(p.progress)) job.progress = p.progress;
  if (p.status === 'done') job.progress = 100;
  state.progressLog.push({status: p.status, progress: p.progress, file: p.file, loaded: p.loaded,
                          total: p.total, filesDone: p.filesDone, filesTotal: p.filesTotal,
                          t: performance.now()});

  if (p.file) {
    const f = job.files.get(p.file) || {progress: null, state: 'pending'};
    if (Number.isFinite(p.fileLoaded) && Number.isFinite(p.fileTotal) && p.fileTotal > 0) {
      f.progress = Math.max(f.progress ?? 0, Math.min(100, (100 * p.fileLoaded) / p.fileTotal));
    }
    if (f.state !== 'done') f.state = f.progress === 100 ? 'done' : 'downloading';
    job.files.set(p.file, f);
  }
  if (p.status === 'done') for (const f of job.files.values()) { f.state = 'done'; f.progress = 100; }
  renderJob(p);
}

function renderJob(p) {
  const job = state.job;
  const el = $('job');
  el.dataset.status = job.status;
  $('job-status').textContent = job.status + (p.cached ? ' (already cached)' : '');
  const pct = Math.max(0, Math.min(100, job.progress));
  $('total').value = pct;
  $('total-pct').textContent = `${pct.toFixed(1)}%`;
  $('total-pct').dataset.value = String(pct);
  if (Number.isFinite(p.loaded) && Number.isFinite(p.total) && p.total > 0 && p.status !== 'initiate') {
    $('total-bytes').textContent = `${fmtBytes(p.loaded)} / ${fmtBytes(p.total)}`;
  }
  if (Number.isFinite(p.filesTotal)) $('files-count').textContent = `${p.filesDone ?? 0} / ${p.filesTotal} files`;
  $('speed').textContent = Number.isFinite(p.bytesPerSecond) && p.status === 'progress'
    ? `${fmtBytes(p.bytesPerSecond)}/s` : '';
  $('eta').textContent = p.status === 'progress' ? fmtEta(p.etaSeconds) : '';

  const ul = $('files');
  for (const [name, f] of job.files) {
    let li = ul.querySelector(`li[data-file="${CSS.escape(name)}"]`);
    if (!li) {
      li = document.createElement('li');
      li.dataset.file = name;
      li.innerHTML = '<span class="name"></span><progress max="100" value="0"></progress><span class="pct"></span>';
      li.querySelector('.name').textContent = name;
      ul.append(li);
    }
    li.dataset.state = f.state;
    const bar = li.querySelector('progress');
    if (f.progress === null) bar.removeAttribute('value'); // indeterminate: no per-file byte counts
    else bar.value = f.progress;
    li.querySelector('.pct').textContent = f.progress === null ? '' : `${f.progress.toFixed(0)}%`;
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

async function jobAction(action) {
  if (!state.jobId) return null;
  return request(action, {jobId: state.jobId});
}

// ------------------------------------------------------------------ tokenizer via the file server
let transformers = null;
async function loadTokenizer(repo = $('tokenizer-repo').value.trim(), sentence = $('sentence').value) {
  const out = $('tokens');
  out.dataset.state = 'loading';
  out.textContent = 'loading…';
  state.tokens = null;
  state.tokenizerError = null;
  try {
    if (!transformers) {
      // vendor/ is filled at build/test time from node_modules (see README); MV3 forbids remote code.
      transformers = await import('./vendor/transformers.min.js');
    }
    const {env, AutoTokenizer} = transformers;
    const reply = await request('open_file_server');
    state.baseUrl = reply.payload.baseUrl;
    env.allowLocalModels = false;
    env.allowRemoteModels = true;
    env.useBrowserCache = false;
    env.remoteHost = state.baseUrl;
    env.remotePathTemplate = '{model}/resolve/{revision}/';
    const tokenizer = await AutoTokenizer.from_pretrained(repo);
    const ids = Array.from(tokenizer.encode(sentence), Number);
    state.tokens = ids;
    out.dataset.state = 'done';
    out.dataset.count = String(ids.length);
    out.textContent = `${ids.length} tokens: ${JSON.stringify(ids)}`;
    return ids;
  } catch (e) {
    state.tokenizerError = e.message || String(e);
    out.dataset.state = 'error';
    out.textContent = `error: ${state.tokenizerError}`;
    throw e;
  }
}

// ------------------------------------------------------------------ wiring
const ui = (fn) => () => fn().catch((e) => console.warn(e));
$('refresh-models').addEventListener('click', ui(refreshModels));
$('scan').addEventListener('click', ui(scan));
$('download').addEventListener('click', ui(() => download()));
$('pause').addEventListener('click', ui(() => jobAction('pause_download')));
$('resume').addEventListener('click', ui(() => jobAction('resume_download')));
$('cancel').addEventListener('click', ui(() => jobAction('cancel_download')));
$('load-tokenizer').addEventListener('click', ui(() => loadTokenizer()));

const params = new URLSearchParams(location.search);
if (params.get('repo')) $('repo').value = params.get('repo');

const ready = (async () => {
  const reply = await request('handshake');
  const p = {pid: reply.pid, ...(reply.payload || {})};
  state.hostInfo = p;
  setStatus('connected');
  $('host-info').textContent = `tabagent-host ${p.version ?? '?'} (pid ${p.pid ?? '?'}) cache ${p.cacheRoot ?? p.cache_root ?? ''}`;
  return p;
})();
ready.then(() => refreshModels()).catch((e) => {
  if (!state.connected) setStatus('error', e.message);
});

// For the browser test and for people poking at the console.
window.tabagent = {state, ready, request, refreshModels, scan, download, loadTokenizer,
                   pause: () => jobAction('pause_download'), resume: () => jobAction('resume_download'),
                   cancel: () => jobAction('cancel_download'),
                   get progressLog() { return state.progressLog; }, get events() { return state.events; }};
