// The service worker owns the one native-messaging port (an open native port keeps an MV3 worker
// alive). Pages talk to it over chrome.runtime ports named "page": requests go to the host, replies
// come back to the page that asked, and every host event is broadcast to every page.
import {HostClient, HostError} from './client.js';

/** @typedef {import('./client.js').PageRequest} PageRequest */
/** @typedef {import('./client.js').WorkerMessage} WorkerMessage */

const client = new HostClient();
/** @type {Set<chrome.runtime.Port>} */
const pages = new Set();

client.onEvent((event) => {
  for (const page of pages) safePost(page, {kind: 'event', event});
});
client.onStatus((status) => {
  for (const page of pages) safePost(page, {kind: 'status', ...status});
});

chrome.runtime.onConnect.addListener((page) => {
  if (page.name !== 'page' || page.sender?.id !== chrome.runtime.id) return;
  pages.add(page);
  safePost(page, {kind: 'status', connected: client.connected, error: client.lastError});
  page.onDisconnect.addListener(() => pages.delete(page));
  page.onMessage.addListener(async (/** @type {PageRequest | undefined} */ msg) => {
    if (msg?.kind !== 'request') return;
    safePost(page, await answer(msg));
  });
});

// The same relay over the worker's own postMessage: a page posts a PageRequest to its
// registration's active worker and gets the reply as a 'message' on navigator.serviceWorker.
// Those messages are structured clones, while chrome.runtime ports serialise every message as
// JSON: a ~1 MB get_file reply relayed over a port is stringified here and parsed again in the
// page (bench/page_read_bench.mjs, mode frames-clone, measures both).
/** @type {any} */ (self).addEventListener('message', async (/** @type {any} */ event) => {
  /** @type {PageRequest | undefined} */
  const msg = event.data;
  /** @type {{postMessage(m: WorkerMessage): void} | null} */
  const source = event.source;
  if (msg?.kind !== 'request' || !source) return;
  source.postMessage(await answer(msg));
});

/**
 * The host's answer to a page's request, as the message that carries it back.
 * @param {PageRequest} msg
 * @returns {Promise<WorkerMessage>}
 */
async function answer(msg) {
  try {
    const options = msg.timeoutMs ? {timeoutMs: msg.timeoutMs} : {};
    const reply = await client.request(msg.action, msg.fields || {}, options);
    return {kind: 'reply', id: msg.id, ok: true, reply};
  } catch (e) {
    const err = e instanceof HostError ? e : null;
    return {kind: 'reply', id: msg.id, ok: false,
            error: {message: e instanceof Error ? e.message : String(e), code: err?.code, reply: err?.reply}};
  }
}

/**
 * @param {chrome.runtime.Port} page
 * @param {WorkerMessage} msg
 */
function safePost(page, msg) {
  try {
    page.postMessage(msg);
  } catch {
    pages.delete(page); // the page went away while its request was in flight
  }
}

chrome.action.onClicked.addListener(() => chrome.tabs.create({url: chrome.runtime.getURL('page.html')}));
