import type { EpisodicAppendInput as EpisodicAppendInputDto, EpisodicExpireInput as EpisodicExpireInputDto, EpisodicRangeInput as EpisodicRangeInputDto, EpisodicTailInput as EpisodicTailInputDto } from '@memsidecar/episodic';
import type { CallOptions } from '../caller';
import { method, type Call, type Metadata, type InputOf, type Method, type Stream } from './method';
import { streamItems } from './stream-items';

export type EpisodicAppendInput = InputOf<EpisodicAppendInputDto>;

export interface EpisodicAppendResult {
  id: string;
  /** Per namespace, from 1, strictly increasing, never reused. */
  cursor: number;
  createdAt: string;
  deduplicated: boolean;
  seq: number;
}

export interface EpisodicEvent {
  id: string;
  cursor: number;
  type: string;
  payload: unknown;
  role: string | null;
  sessionId: string | null;
  metadata: Metadata;
  dedupKey: string | null;
  supersedes: string[];
  createdAt: string;
  /** Only on soft-deleted events read with `includeDeleted`. */
  deletedAt?: string;
}

/** All bounds exclusive, combined with AND. */
export type EpisodicRangeInput = InputOf<EpisodicRangeInputDto>;

export interface EpisodicRangeResult {
  events: EpisodicEvent[];
  /** Cursor of the last event of a full page, null when the page was not full. */
  nextCursor: number | null;
}

/** `beforeCursor` or `before` is required. */
export type EpisodicExpireInput = InputOf<EpisodicExpireInputDto>;

export interface EpisodicExpireResult {
  affected: number;
  /** Absent when nothing was affected. */
  seq?: number;
}

export type EpisodicTailInput = InputOf<EpisodicTailInputDto>;

export interface EpisodicClient {
  append: Method<EpisodicAppendInput, EpisodicAppendResult>;
  range: Method<EpisodicRangeInput, EpisodicRangeResult>;
  expire: Method<EpisodicExpireInput, EpisodicExpireResult>;
  /**
   * Events in cursor order, with no gap and no duplicate, until `maxEvents` or `maxMs`:
   * `for await (const event of client.episodic.tail({ns, afterCursor: 0})) ...`.
   * `options.timeoutMs` is the longest pause between two events; it defaults to outlast `maxMs`.
   */
  tail(input: EpisodicTailInput, options?: CallOptions): AsyncIterable<EpisodicEvent>;
}

const SERVICE_TAIL_MS = 30_000;
/** A quiet tail is not a dead one: the pause allowed between events outlasts the tail itself. */
const TAIL_SLACK_MS = 10_000;

export const episodicClient = (call: Call, stream: Stream): EpisodicClient => ({
  append: method(call, 'episodic.append'),
  range: method(call, 'episodic.range'),
  expire: method(call, 'episodic.expire'),
  tail: (input, options) =>
    streamItems(stream, 'episodic.tail', input, { ...options, timeoutMs: options?.timeoutMs ?? (input.maxMs ?? SERVICE_TAIL_MS) + TAIL_SLACK_MS }),
});
