// One persistent native-messaging port with request/reply correlation, like TabAgent's client:
// each request carries a fresh `messageId`; the first frame carrying that id resolves it (whatever
// else it holds); frames with `type` are events, routed to listeners by `jobId`.
//
// Plain JS that Chromium loads as is; the JSDoc types come from docs/protocol.d.ts and are checked
// by `tsc` in CI (tests/e2e/tsconfig.json), so a wrong action or field name fails the build.

/** @typedef {import('../docs/protocol').Action} Action */
/** @typedef {import('../docs/protocol').MessageId} MessageId */
/** @typedef {import('../docs/protocol').ErrorCode} ErrorCode */
/** @typedef {import('../docs/protocol').HostEvent} HostEvent */
/** @typedef {import('../docs/protocol').ProgressEvent} ProgressEvent */
/** @typedef {import('../docs/protocol').ErrorReply} ErrorReply */
/** @typedef {import('../docs/protocol').AuthRequiredReply} AuthRequiredReply */
/** @typedef {import('../docs/protocol').HostFrame} HostFrame */
/** @typedef {import('../docs/protocol').Reply} Reply */
/**
 * @template {Action} A
 * @typedef {import('../docs/protocol').RequestFields<A>} RequestFields
 */
/**
 * @template {Action} A
 * @typedef {import('../docs/protocol').SuccessReplyOf<A>} SuccessReplyOf
 */
/**
 * Arguments after the action: the fields (optional when the action has no required field), then
 * an optional timeout in ms.
 * @template {Action} A
 * @typedef {{} extends RequestFields<A> ? [fields?: RequestFields<A>, timeoutMs?: number]
 *                                       : [fields: RequestFields<A>, timeoutMs?: number]} RequestArgs
 */

/** @typedef {{connected: boolean, error: string | null}} ConnectionStatus */
/** @typedef {(event: HostEvent) => void} EventListener */
/** @typedef {(event: ProgressEvent) => void} JobListener */

// Messages between a page and the service worker (chrome.runtime port named "page").
/** @typedef {{kind: 'request', id: number, action: Action, fields: RequestFields<Action>, timeoutMs?: number}} PageRequest */
/**
 * @typedef {{kind: 'reply', id: number, ok: true, reply: SuccessReplyOf<Action>}
 *   | {kind: 'reply', id: number, ok: false, error: {message: string, code?: ErrorCode, reply?: ErrorReply | AuthRequiredReply}}
 *   | {kind: 'event', event: HostEvent}
 *   | ({kind: 'status'} & ConnectionStatus)} WorkerMessage
 */

/**
 * A rejected request: `message` is the reply's top-level message, `code` its error code.
 */
export class HostError extends Error {
  /**
   * @param {string} message
   * @param {ErrorCode | undefined} [code]
   * @param {ErrorReply | AuthRequiredReply | undefined} [reply]
   */
  constructor(message, code, reply) {
    super(message);
    this.name = 'HostError';
    /** @type {ErrorCode | undefined} */
    this.code = code;
    /** @type {ErrorReply | AuthRequiredReply | undefined} */
    this.reply = reply;
  }
}

export const HOST_NAME = 'com.tabagent.host';
export const REQUEST_TIMEOUT_MS = 30_000;

/**
 * @typedef {object} Pending
 * @property {(reply: any) => void} resolve  resolves with the success reply of `action`
 * @property {(err: Error) => void} reject
 * @property {ReturnType<typeof setTimeout>} timer
 * @property {Action} action
 */

export class HostClient {
  /**
   * @param {() => chrome.runtime.Port} [connect]  chrome.runtime.connectNative in the extension; a fake in unit checks
   */
  constructor(connect = () => chrome.runtime.connectNative(HOST_NAME)) {
    this.m_connect = connect;
    /** @type {chrome.runtime.Port | null} */
    this.m_port = null;
    /** @type {Map<MessageId, Pending>} */
    this.m_pending = new Map();
    /** @type {Map<string, Set<JobListener>>} */
    this.m_jobListeners = new Map();
    /** @type {Set<EventListener>} every event */
    this.m_anyListeners = new Set();
    /** @type {Set<(status: ConnectionStatus) => void>} */
    this.m_statusListeners = new Set();
    this.m_counter = 0;
    /** @type {string | null} */
    this.lastError = null;
  }

  get connected() { return this.m_port !== null; }

  /** @returns {chrome.runtime.Port} */
  ensurePort() {
    if (this.m_port) return this.m_port;
    const port = this.m_connect();
    port.onMessage.addListener((/** @type {unknown} */ msg) => this.m_onFrame(msg));
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

  /**
   * Sends {action, messageId, ...fields}; resolves with the whole reply frame when status is
   * "success", rejects with a HostError carrying the reply's top-level `message` otherwise.
   * @template {Action} A
   * @param {A} action
   * @param {RequestFields<A>} fields
   * @param {{timeoutMs?: number}} [options]
   * @returns {Promise<SuccessReplyOf<A>>}
   */
  request(action, fields, {timeoutMs = REQUEST_TIMEOUT_MS} = {}) {
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

  /**
   * @param {string} jobId
   * @param {JobListener} fn
   * @returns {() => void} removes the listener
   */
  onJob(jobId, fn) {
    let set = this.m_jobListeners.get(jobId);
    if (!set) this.m_jobListeners.set(jobId, set = new Set());
    set.add(fn);
    return () => { this.m_jobListeners.get(jobId)?.delete(fn); };
  }
  /** @param {EventListener} fn @returns {() => void} */
  onEvent(fn) { this.m_anyListeners.add(fn); return () => { this.m_anyListeners.delete(fn); }; }
  /** @param {(status: ConnectionStatus) => void} fn @returns {() => void} */
  onStatus(fn) { this.m_statusListeners.add(fn); return () => { this.m_statusListeners.delete(fn); }; }

  disconnect() {
    if (this.m_port) this.m_port.disconnect();
    this.m_port = null;
  }

  /** @param {unknown} raw a frame from the host (any JSON value) */
  m_onFrame(raw) {
    if (raw === null || typeof raw !== 'object') return;
    const msg = /** @type {HostFrame & {messageId?: MessageId | null, request_id?: MessageId}} */ (raw);
    const id = msg.messageId ?? msg.request_id;
    const p = id === undefined || id === null ? undefined : this.m_pending.get(id);
    if (p && id !== undefined && id !== null) {
      // The first frame carrying the id is the reply, whatever else it holds.
      const reply = /** @type {Reply} */ (msg);
      this.m_pending.delete(id);
      clearTimeout(p.timer);
      if (reply.status === 'success') {
        p.resolve(reply);
      } else {
        const code = reply.error?.code || (reply.status === 'auth_required' ? 'AUTH_REQUIRED' : undefined);
        const text = reply.message || reply.error?.message || `${p.action} failed (${reply.status})`;
        p.reject(new HostError(text, code, reply));
      }
      return;
    }
    if ('type' in msg && typeof msg.type === 'string') {
      for (const fn of this.m_anyListeners) fn(msg);
      if (msg.type === 'modelWorkerLoadingProgress') {
        const listeners = msg.jobId ? this.m_jobListeners.get(msg.jobId) : undefined;
        if (listeners) for (const fn of listeners) fn(msg);
      }
    }
  }

  /** @param {ConnectionStatus} s */
  m_emitStatus(s) { for (const fn of this.m_statusListeners) fn(s); }
}
