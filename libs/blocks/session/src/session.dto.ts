import { IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsStringMap } from '@memsidecar/api';

const SESSION_ID = /^[A-Za-z0-9_.:-]{1,128}$/;
const SESSION_ID_MESSAGE = { message: 'must be 1-128 characters of [A-Za-z0-9_.:-]' };
const DAY_MS = 86_400_000;

export class SessionOpenInput {
  @IsOptional()
  @Matches(SESSION_ID, SESSION_ID_MESSAGE)
  sessionId?: string;

  @IsOptional()
  @Matches(SESSION_ID, SESSION_ID_MESSAGE)
  parentSessionId?: string;

  @IsOptional()
  @IsString()
  @Length(1, 128)
  agent?: string;

  @IsOptional()
  @IsInt()
  @Min(50)
  @Max(DAY_MS)
  heartbeatIntervalMs?: number;

  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(DAY_MS)
  heartbeatTimeoutMs?: number;

  /** Deprecated: the heartbeat timeout, from before the two-parameter heartbeat model. */
  @IsOptional()
  @IsInt()
  @Min(100)
  @Max(DAY_MS)
  timeoutMs?: number;

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
