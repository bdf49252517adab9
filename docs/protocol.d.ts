// TypeScript declarations of the TabAgent native-messaging protocol (docs/PROTOCOL.md).
// extension-sample type-checks its client against this file in CI.

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
interface Base { messageId: MessageId }
export type Request =
  | (Base & { action: "handshake" })
  | (Base & { action: "ping" })
  | (Base & { action: "get_system_info" })
  | (Base & { action: "get_logs"; lines?: number })
  | (Base & { action: "scan_repo"; repo: string; revision?: string })
  | (Base & { action: "get_manifest"; repo: string; format?: "native" | "extension" })
  | (Base & { action: "list_models" })
  | (Base & { action: "has_file"; repo: string; file: string; revision?: string })
  | (Base & { action: "get_file"; repo: string; file: string; offset?: number; length?: number; revision?: string })
  | (Base & { action: "get_file_path"; repo: string; file: string; revision?: string })
  | (Base & { action: "delete_model"; repo?: string; model_id?: string; quant?: string })
  | (Base & { action: "get_stats" })
  | (Base & { action: "clean"; maxBytes?: number; olderThanDays?: number; dryRun?: boolean })
  | (Base & { action: "download_file"; repo: string; file: string; revision?: string })
  | (Base & { action: "download_quant"; repo: string; quant: string; revision?: string })
  | (Base & { action: "pull_model"; model_id?: string; model_name?: string; model?: string; modelPath?: string;
              repoId?: string; file?: string; modelFile?: string; fileName?: string; variant?: string; quant?: string })
  | (Base & { action: "load_model"; model_path?: string; modelPath?: string })
  | (Base & { action: "verify"; repo?: string })
  | (Base & { action: "cancel_download" | "pause_download" | "resume_download"; jobId: string })
  | (Base & { action: "list_downloads" | "get_download_status" | "get_active_downloads" })
  | (Base & { action: "set_hf_token"; token: string; validate?: boolean })
  | (Base & { action: "get_hf_token_status" | "clear_hf_token" })
  | (Base & { action: "open_file_server" });

export type Action = Request["action"];

// ---- replies --------------------------------------------------------------------------------
export interface SuccessReply<P = unknown> {
  messageId: MessageId;
  status: "success";
  payload: P;
  [legacyTopLevelField: string]: unknown;
}
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

export interface HandshakePayload {
  version: string; pid: number; protocolVersion: number; capabilities: Action[];
  cacheRoot: string; dataDir: string; offline: boolean; endpoint: string;
}
export interface JobStartedPayload { jobId: string; joined: boolean; repo?: string; quant?: string; files?: string[] }
export interface HasFilePayload { exists: boolean; size: number; path?: string }
export interface FileChunkPayload { data: string; offset: number; length: number; size: number; eof: boolean }
export interface TokenStatusPayload { hasToken: boolean; source: "stored" | "env" | "hf_home" | "explicit" | null }
export interface DeletePayload { freedBytes: number; repo: string; quant?: string }
export interface StatsPayload {
  total_repos: number; total_size: number; disk_free: number | null;
  repos: { repo: string; size: number; files: number; revisions: number; last_access: string }[];
}
export interface FileServerPayload { baseUrl: string; port: number; token: string }

export type JobStatus = "queued" | "running" | "paused" | "done" | "error" | "cancelled";
export interface JobInfo {
  jobId: string; requestId: MessageId | null; kind: "download_files" | "download_quant" | "verify";
  repo: string; revision: string; quant: string; files: string[]; status: JobStatus;
  loaded: number; total: number; progress: number; filesDone: number; filesTotal: number;
  bytesPerSecond: number; file: string; message: string; resumed: boolean; error?: ProtocolError;
}

// ---- events ---------------------------------------------------------------------------------
export type ProgressStatus = "queued" | "initiate" | "progress" | "paused" | "done" | "error" | "cancelled";
export interface ProgressPayload {
  status: ProgressStatus;
  kind: "download_files" | "download_quant" | "verify";
  repo: string; revision: string; quant: string; file: string;
  fileLoaded: number; fileTotal: number;
  progress: number; loaded: number; total: number; filesDone: number; filesTotal: number;
  bytesPerSecond: number; etaSeconds: number | null; message: string;
  error?: ProtocolError; cached?: boolean; result?: unknown;
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
