// One persistent native-messaging port with request/reply correlation, like TabAgent's client:
// each request carries a fresh `messageId`; the first frame carrying that id resolves it (whatever
// else it holds); frames with `type` are events, routed to listeners by `jobId`.

export const HOST_NAME = 'com.tabagent.host';
export const REQUEST_TIMEOUT_MS = 30_000;

export class HostClient {
  // connect: () => Port (chrome.runtime.connectNative in the extension; a fake in unit checks).
  constructor(connect = () => chrome.runtime.connectNative(HOST_NAME)) {
    this.m_connect = connect;
    this.m_port = null;
    this.m_pending = new Map(); // messageId -> {resolve, reject, timer}
    this.m_jobListeners = new Map(); // jobId -> Set<fn>
    this.m_anyListeners = new Set(); // fn(event) for every event
    this.m_statusListeners = new Set(); // fn({connected, error})
    this.m_counter = 0;
    this.lastError = null;
  }

  get connected() { return this.m_port !== null; }

  ensurePort() {
    if (this.m_port) return this.m_port;
    const port = this.m_connect();
    port.onMessage.addListener((msg) => this.m_onFrame(msg));
    port.onDisconnect.addListener(() => {
      // chrome.runtime.lastError holds the reason ("Specified native messaging host not found." ...)
      const reason = (globalThis.chrome?.runtime?.lastError?.message) || 'native host disconnected';
      this.lastError = reason;
      this.m_port = null;
      for (const [id, p] of this.m_pending) {
        clearTimeout(p.timer);
        p.reject(new Error(reason));
        this.m_pending.delete(id);
      }
      this.m_emitStatus({connected: false, error: reason});
    });
    this.m_port = port;
    this.lastError = null;
    this.m_emitStatus({connected: true, error: null});
    return port;
  }

  // Sends {action, messageId, ...fields}; resolves with the whole reply frame when status is
  // "success", rejects with the reply's top-level `message` otherwise (err.reply holds the frame).
  request(action, fields = {}, {timeoutMs = REQUEST_TIMEOUT_MS} = {}) {
    const messageId = `msg_${++this.m_counter}_${Date.now()}`;
    return new Promise((resolve, reject) => {
      let port;
      try {
        port = this.ensurePort();
      } catch (e) {
        reject(e);
        return;
      }
      const timer = setTimeout(() => {
        this.m_pending.delete(messageId);
        reject(new Error(`${action}: no reply within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.m_pending.set(messageId, {resolve, reject, timer, action});
      try {
        port.postMessage({...fields, action, messageId});
      } catch (e) {
        clearTimeout(timer);
        this.m_pending.delete(messageId);
        reject(e);
      }
    });
  }

  onJob(jobId, fn) {
    if (!this.m_jobListeners.has(jobId)) this.m_jobListeners.set(jobId, new Set());
    this.m_jobListeners.get(jobId).add(fn);
    return () => this.m_jobListeners.get(jobId)?.delete(fn);
  }
  onEvent(fn) { this.m_anyListeners.add(fn); return () => this.m_anyListeners.delete(fn); }
  onStatus(fn) { this.m_statusListeners.add(fn); return () => this.m_statusListeners.delete(fn); }

  disconnect() {
    if (this.m_port) this.m_port.disconnect();
    this.m_port = null;
  }

  m_onFrame(msg) {
    if (msg === null || typeof msg !== 'object') return;
    const id = msg.messageId ?? msg.request_id;
    if (id !== undefined && this.m_pending.has(id)) {
      const p = this.m_pending.get(id);
      this.m_pending.delete(id);
      clearTimeout(p.timer);
      if (msg.status === 'success') {
        p.resolve(msg);
      } else {
        const err = new Error(msg.message || msg.error?.message || `${p.action} failed (${msg.status})`);
        err.code = msg.error?.code || (msg.status === 'auth_required' ? 'AUTH_REQUIRED' : undefined);
        err.reply = msg;
        p.reject(err);
      }
      return;
    }
    if (typeof msg.type === 'string') {
      for (const fn of this.m_anyListeners) fn(msg);
      const listeners = msg.jobId ? this.m_jobListeners.get(msg.jobId) : null;
      if (listeners) for (const fn of listeners) fn(msg);
    }
  }

  m_emitStatus(s) { for (const fn of this.m_statusListeners) fn(s); }
}
