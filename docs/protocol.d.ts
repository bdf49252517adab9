// TypeScript declarations of the TabAgent native-messaging protocol (docs/PROTOCOL.md).
// extension-sample type-checks its client and page against this file in CI (tests/e2e/typecheck.sh):
// a request with an action not listed here, a missing required field, or a reply/event field read
// under a wrong name fails the build. Shapes follow the real replies (tests/replay/cases/*.expected).

export type ErrorCode =
  | "BAD_REQUEST" | "MESSAGE_TOO_LARGE" | "UNKNOWN_ACTION" | "FORBIDDEN_ORIGIN" | "INVALID_REPO"
  | "INVALID_PATH" | "NOT_FOUND" | "AUTH_REQUIRED" | "RATE_LIMITED" | "NETWORK" | "INTEGRITY"
  | "DISK_FULL" | "CANCELLED" | "OFFLINE" | "LOCKED" | "REPLY_TOO_LARGE" | "INTERNAL";

export interface ProtocolError {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown>;
}

export type MessageId = string | number;

// ---- requests -------------------------------------------------------------------------------
// Fields of each action besides `action` and `messageId`. `Request` and `Action` derive from it.
export interface RequestFieldsMap {
  handshake: {};
  ping: {};
  get_system_info: {};
  get_logs: { lines?: number };
  scan_repo: { repo: string; revision?: string };
  get_manifest: { repo: string; format?: "native" | "extension" };
  list_models: {};
  has_file: { repo: string; file: string; revision?: string };
  get_file: { repo: string; file: string; offset?: number; length?: number; revision?: string };
  get_file_path: { repo: string; file: string; revision?: string };
  // `repo` or one of the legacy names (model_id, model_name, model, modelPath, repoId).
  delete_model: { repo?: string; model_id?: string; model_name?: string; model?: string; modelPath?: string;
                  repoId?: string; quant?: string };
  get_stats: {};
  clean: { maxBytes?: number; olderThanDays?: number; dryRun?: boolean };
  download_file: { repo: string; file: string; revision?: string };
  download_quant: { repo: string; quant: string; revision?: string };
  pull_model: { model_id?: string; model_name?: string; model?: string; modelPath?: string; repoId?: string;
                file?: string; modelFile?: string; fileName?: string; variant?: string; quant?: string;
                revision?: string };
  load_model: { model_path?: string; modelPath?: string };
  verify: { repo?: string };
  cancel_download: { jobId: string };
  pause_download: { jobId: string };
  resume_download: { jobId: string };
  list_downloads: {};
  get_download_status: {};
  get_active_downloads: {};
  set_hf_token: { token: string; validate?: boolean };
  get_hf_token_status: {};
  clear_hf_token: {};
  open_file_server: {};
}

export type Action = keyof RequestFieldsMap;
export type RequestFields<A extends Action> = RequestFieldsMap[A];
// `request_id` is accepted instead of `messageId` (and echoed under its own name).
export type Request = { [A in Action]: { action: A; messageId: MessageId } & RequestFieldsMap[A] }[Action];

// ---- reply payloads -------------------------------------------------------------------------
export interface HandshakePayload {
  version: string; pid: number; protocolVersion: number; capabilities: Action[];
  cacheRoot: string; dataDir: string; offline: boolean; endpoint: string;
}
export interface PongPayload { response: "pong"; version: string; pid: number }
export interface SystemInfoPayload {
  os: string; arch: string; cpu: string; cpu_cores: number; ram: number; ram_available: number;
  gpu: string | null; vram: number | null; cache_root: string; cache_disk_free: number | null;
  data: { os: string; cpu: string; ram: number; gpu: string | null; vram: number | null };
}
export interface LogsPayload { lines: string[]; log_file: string; total_lines: number }

// Field names (PROTOCOL.md, "Field names"): camelCase; a legacy snake_case name TabAgent's client
// already reads stands beside its camelCase twin with the same value. Times are ISO 8601 UTC
// ("2026-11-25T21:34:48Z"), "" when unknown.
export interface LegacyCacheRoot { cacheRoot: string; cache_root: string }
export interface LegacyTimes { lastAccess: string; last_access: string; lastModified: string; last_modified: string }
export interface LegacyPartialBytes { partialBytes: number; partial_bytes: number }

export interface CachedRevision { commit: string; refs: string[]; size: number; files: number }
export interface CachedModel extends LegacyTimes, LegacyPartialBytes {
  repo: string; size: number; files: number; revisions: CachedRevision[];
  variants: string[]; scanned: boolean;
}
// list_models, and `tabagent-cache list --json`.
export interface ListModelsPayload extends LegacyCacheRoot { models: CachedModel[] }

export type VariantStatus =
  | "available" | "downloading" | "downloaded" | "failed" | "not_found" | "unavailable" | "unsupported"
  | "server_only";
// get_manifest{format:"native"} (the default) and scan_repo.
export interface NativeManifest {
  repo_id: string; task: string; revision: string; commit: string; created_at: string; updated_at: string;
  recommended: string | null;
  quants: Record<string, { status: VariantStatus; family: string; files: string[]; total_size: number;
                           downloaded_size: number; last_updated: string }>;
  common: { files: string[]; total_size: number; downloaded_size: number };
}
// get_manifest{format:"extension"}: keyed by the ONNX file's path.
export interface ExtensionManifest {
  repo: string; task: string; manifestVersion: 1;
  quants: Record<string, { dtype: string; status: VariantStatus; files: string[]; hasExternalData: boolean;
                           fileSizes: Record<string, number> }>;
}
export type Manifest = NativeManifest | ExtensionManifest;
export interface ManifestPayload { manifest: Manifest }
export interface ScanPayload { manifest: NativeManifest; files: number; commit: string }

export interface HasFilePayload { exists: boolean; size: number; path?: string }
export interface FileChunkPayload { data: string; offset: number; length: number; size: number; eof: boolean }
export interface FilePathPayload { path: string; blobPath: string; size: number; commit: string }
export interface DeletePayload { freedBytes: number; repo: string; quant?: string }
export interface RepoStats extends LegacyTimes, LegacyPartialBytes {
  repo: string; size: number; files: number; revisions: number;
}
// get_stats, and `tabagent-cache stats --json`.
export interface StatsPayload extends LegacyCacheRoot, LegacyPartialBytes {
  totalRepos: number; total_repos: number; totalSize: number; total_size: number;
  diskFree: number | null; disk_free: number | null;
  linkMode: "symlinks" | "degraded" | "unknown";
  repos: RepoStats[]; warnings: string[];
}
// clean, and `tabagent-cache clean --json`.
export interface CleanPayload {
  dryRun: boolean; freedBytes: number; totalBefore: number; totalAfter: number;
  removed: { repo: string; bytes: number; reason: "older_than" | "max_bytes"; lastAccess: string;
             last_access: string }[];
  removedPartials: { repo: string; etag: string; bytes: number; lastModified: string; last_modified: string }[];
  skippedBusy: string[]; warnings: string[];
}
export interface JobStartedPayload { jobId: string; joined: boolean; repo?: string; quant?: string; files?: string[] }
export interface LoadModelPayload { isReady: boolean; modelPath: string; size: number; path: string }
export interface JobsPayload { jobs: JobInfo[] }
export interface TokenStatusPayload { hasToken: boolean; source: "stored" | "env" | "hf_home" | "explicit" | null }
export interface FileServerPayload {
  baseUrl: string; port: number; token: string; remoteHost: string; remotePathTemplate: string;
}

export interface ReplyPayloadMap {
  handshake: HandshakePayload;
  ping: PongPayload;
  get_system_info: SystemInfoPayload;
  get_logs: LogsPayload;
  scan_repo: ScanPayload;
  get_manifest: ManifestPayload;
  list_models: ListModelsPayload;
  has_file: HasFilePayload;
  get_file: FileChunkPayload;
  get_file_path: FilePathPayload;
  delete_model: DeletePayload;
  get_stats: StatsPayload;
  clean: CleanPayload;
  download_file: JobStartedPayload;
  download_quant: JobStartedPayload;
  pull_model: JobStartedPayload;
  load_model: LoadModelPayload;
  verify: JobStartedPayload;
  cancel_download: JobInfo;
  pause_download: JobInfo;
  resume_download: JobInfo;
  list_downloads: JobsPayload;
  get_download_status: JobsPayload;
  get_active_downloads: JobsPayload;
  set_hf_token: TokenStatusPayload;
  get_hf_token_status: TokenStatusPayload;
  clear_hf_token: TokenStatusPayload;
  open_file_server: FileServerPayload;
}
export type PayloadOf<A extends Action> = ReplyPayloadMap[A];

// Fields the TabAgent extension reads at the top level of some replies, next to `payload`.
export interface ReplyTopLevelMap {
  handshake: { version: string; pid: number };
  ping: PongPayload;
  get_system_info: SystemInfoPayload;
  get_logs: LogsPayload;
  pull_model: { message: string; model: string };
  delete_model: { message: string; model: string };
  load_model: { message: string; model: string };
}
export type TopLevelOf<A extends Action> = A extends keyof ReplyTopLevelMap ? ReplyTopLevelMap[A] : {};

// ---- replies --------------------------------------------------------------------------------
export interface SuccessReply<P = unknown> {
  messageId: MessageId;
  status: "success";
  payload: P;
}
// The success reply to action A: its payload and its legacy top-level fields.
export type SuccessReplyOf<A extends Action> = SuccessReply<PayloadOf<A>> & TopLevelOf<A>;
export interface ErrorReply {
  messageId: MessageId | null;
  status: "error";
  message: string;
  error: ProtocolError;
}
export interface AuthRequiredReply {
  messageId: MessageId;
  status: "auth_required";
  provider: "huggingface";
  repo?: string;
  message: string;
  instructions: { step1: string; step2: string; step3: string; step4: string };
  error: ProtocolError;
}
export type Reply<P = unknown> = SuccessReply<P> | ErrorReply | AuthRequiredReply;

export type JobKind = "download_files" | "download_quant" | "verify";
export type JobStatus = "queued" | "running" | "paused" | "done" | "error" | "cancelled";
export interface JobInfo {
  jobId: string; requestId: MessageId | null; kind: JobKind;
  repo: string; revision: string; quant: string; files: string[]; status: JobStatus;
  loaded: number; total: number; progress: number; filesDone: number; filesTotal: number;
  bytesPerSecond: number; file: string; message: string; resumed: boolean; error?: ProtocolError;
  retryInSeconds?: number; // only while the job waits for the Hub (see ProgressPayload)
}

// ---- events ---------------------------------------------------------------------------------
export type ProgressStatus = "queued" | "initiate" | "progress" | "paused" | "done" | "error" | "cancelled";
// The done event's `result` of a verify job, and `tabagent-cache verify --json` (which adds exitCode).
export interface VerifyResult {
  ok: number; bad: number; missing: number; unreadable: number; unverifiable: number; removed: number;
  bytesHashed: number; warnings: string[];
  problems: { repo: string; etag: string; state: "bad" | "missing" | "unverifiable" | "unreadable"; size: number;
              path: string; removed: boolean; files: string[]; error?: string }[];
}
export interface ProgressPayload {
  status: ProgressStatus;
  kind: JobKind;
  repo: string; revision: string; quant: string; file: string;
  fileLoaded: number; fileTotal: number;
  progress: number; loaded: number; total: number; filesDone: number; filesTotal: number;
  bytesPerSecond: number; etaSeconds: number | null; message: string;
  /** Only while the job waits for the Hub (429/503 Retry-After, backoff, the host's request
   *  budget): seconds until its next request; `message` is then "waiting for the Hub, N s". */
  retryInSeconds?: number;
  error?: ProtocolError; cached?: boolean; result?: VerifyResult;
}
export interface ProgressEvent {
  type: "modelWorkerLoadingProgress";
  jobId: string;
  requestId: MessageId | null;
  payload: ProgressPayload;
}
export interface ManifestUpdatedEvent { type: "manifestUpdated"; payload: { repo: string } }
export type HostEvent = ProgressEvent | ManifestUpdatedEvent;

export type HostFrame = Reply | HostEvent;
