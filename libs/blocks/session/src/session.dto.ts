import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsStringMap } from '@memsidecar/api';

const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const SESSION_ID_MESSAGE = { message: 'must be 1-128 characters of [A-Za-z0-9_.:-]' };
const DAY_MS = 86_400_000;

export class SessionOpenInput {
  /** 1-128 characters of `[A-Za-z0-9_.:-]`; generated when absent. */
  @IsOptional()
  @Matches(SESSION_ID, SESSION_ID_MESSAGE)
  sessionId?: string;

  @IsOptional()
  @Matches(SESSION_ID, SESSION_ID_MESSAGE)
  parentSessionId?: string;

  /** Defaults to the token's agent. */
  @IsOptional()
  @IsString()
  @Length(1, 128)
  agent?: string;

  /** Default 10000. */
  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(DAY_MS)
  heartbeatIntervalMs?: number;

  /** Default 25000; must exceed `heartbeatIntervalMs`. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(DAY_MS)
  heartbeatTimeoutMs?: number;

  /**
   * The heartbeat timeout, from before the two-parameter heartbeat model.
   * @deprecated Use `heartbeatTimeoutMs`; still honoured, and the reply's `warnings` says so.
   */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(DAY_MS)
  timeoutMs?: number;

  /** What the service does when the heartbeats stop; default `checkpoint_and_close`. */
  @IsOptional()
  @IsIn(['checkpoint_and_close', 'abort_quietly'], { message: 'must be checkpoint_and_close or abort_quietly' })
  onOrphan?: 'checkpoint_and_close' | 'abort_quietly';

  @IsOptional()
  @IsStringMap()
  metadata?: Record<string, string>;
}

class SessionHeld {
  @Matches(SESSION_ID, SESSION_ID_MESSAGE)
  sessionId: string;

  @IsString()
  @Length(1, 256)
  sessionToken: string;
}

export class SessionHeartbeatInput extends SessionHeld {}

export class SessionCheckpointInput extends SessionHeld {
  @IsOptional()
  state?: unknown;

  @IsOptional()
  @IsInt()
  @Min(0)
  turn?: number;
}

export class SessionCloseInput extends SessionHeld {
  /** The final checkpoint's state; the last checkpoint's when absent. */
  @IsOptional()
  state?: unknown;
}

export class SessionGetInput {
  @Matches(SESSION_ID, SESSION_ID_MESSAGE)
  sessionId: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  minSeq?: number;
}
