// The service worker owns the one native-messaging port (an open native port keeps an MV3 worker
// alive). Pages talk to it over chrome.runtime ports named "page": requests go to the host, replies
// come back to the page that asked, and every host event is broadcast to every page.
import {HostClient} from './client.js';

const client = new HostClient();
const pages = new Set();

client.onEvent((event) => {
  for (const page of pages) page.postMessage({kind: 'event', event});
});
client.onStatus((status) => {
  for (const page of pages) page.postMessage({kind: 'status', ...status});
});

chrome.runtime.onConnect.addListener((page) => {
  if (page.name !== 'page' || page.sender?.id !== chrome.runtime.id) return;
  pages.add(page);
  page.postMessage({kind: 'status', connected: client.connected, error: client.lastError});
  page.onDisconnect.addListener(() => pages.delete(page));
  page.onMessage.addListener(async (msg) => {
    if (msg?.kind !== 'request') return;
    try {
      const reply = await client.request(msg.action, msg.fields || {}, msg.timeoutMs ? {timeoutMs: msg.timeoutMs} : {});
      safePost(page, {kind: 'reply', id: msg.id, ok: true, reply});
    } catch (e) {
      safePost(page, {kind: 'reply', id: msg.id, ok: false,
                      error: {message: e.message, code: e.code, reply: e.reply}});
    }
  });
});

function safePost(page, msg) {
  try {
    page.postMessage(msg);
  } catch {
    pages.delete(page); // the page went away while its request was in flight
  }
}

chrome.action.onClicked.addListener(() => chrome.tabs.create({url: chrome.runtime.getURL('page.html')}));
