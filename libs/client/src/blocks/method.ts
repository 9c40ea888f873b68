import type { CallOptions } from '../caller';

/** Runs one operation of the contract by name and resolves with its reply (`MemoryClient.call`). */
export type Call = (op: string, body: object, options?: CallOptions) => Promise<unknown>;

/** Runs a streaming operation, handing each item to `onItem` in order (`MemoryClient.stream`). */
export type Stream = (op: string, body: object, onItem: (item: unknown) => void, options?: CallOptions) => Promise<void>;

/** One typed operation: its input, and the reply it resolves with. */
export type Method<Input, Result> = (input: Input, options?: CallOptions) => Promise<Result>;

/** Metadata values are strings: filters match them exactly. */
export type Metadata = Record<string, string>;

/** Accepted by the reads of kv, episodic, semantic, artifact, lease and session. */
export interface ReadInput {
  /** Waits (bounded) until the read models have applied this stream sequence: read-your-writes across instances. */
  minSeq?: number;
}

/**
 * The method for operation `op`, typed by the interface it is assigned to: the contract's names and
 * shapes live in the block's interface, the wire call is always the same.
 */
export function method<M extends Method<never, unknown>>(call: Call, op: string): M {
  const run = (input: object, options?: CallOptions) => call(op, input, options);
  return run as unknown as M;
}

/**
 * An operation's input as the service declares it (its DTO class, imported as a type only), as a
 * plain object type: the SDK's inputs are the service's, field documentation included.
 */
export type InputOf<Dto extends object> = { [K in keyof Dto]: Dto[K] };
