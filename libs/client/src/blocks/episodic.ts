import type {
  EpisodicAppendInput as EpisodicAppendInputDto,
  EpisodicAppendResult,
  EpisodicExpireInput as EpisodicExpireInputDto,
  EpisodicExpireResult,
  EpisodicRangeInput as EpisodicRangeInputDto,
  EpisodicRangeResult,
  EpisodicTailInput as EpisodicTailInputDto,
  EpisodicWireEvent,
} from '@memsidecar/episodic';
import type { CallOptions } from '../caller';
import { method, type Call, type InputOf, type Method, type Stream } from './method';
import { streamItems } from './stream-items';

export type { EpisodicAppendResult, EpisodicExpireResult, EpisodicRangeResult } from '@memsidecar/episodic';

/** One event of a namespace's log, as `range` and `tail` return it. */
export type EpisodicEvent = EpisodicWireEvent;

export type EpisodicAppendInput = InputOf<EpisodicAppendInputDto>;

/** All bounds exclusive, combined with AND. */
export type EpisodicRangeInput = InputOf<EpisodicRangeInputDto>;

/** `beforeCursor` or `before` is required. */
export type EpisodicExpireInput = InputOf<EpisodicExpireInputDto>;

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
