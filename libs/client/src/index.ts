export { MemoryClient, type MemoryClientOptions, type ShutdownReport } from './memory-client';
export { MemoryError, SessionClosedError, ClientShutDownError, ClientConfigError, type ErrorCode } from './errors';
export { parseClientConfig, type ClientConfig, type ClientConfigInput, type ClientLogger, type RetryPolicy } from './config';
export { retryDelayMs } from './backoff';
export type { CallOptions, SessionBinding } from './caller';
export type { Provenance, TrustLabel } from '@memsidecar/core';
export * from './blocks';
export { Session, type OpenSessionInput } from './session';
export { TurnRecorder, type TurnRecorderOptions, type Turn, type RecallContext, type SwitchOptions, type SessionSwitch, type TurnRecorderStopReport, type AbandonedWrite, type RecordedTurn } from './turns';
