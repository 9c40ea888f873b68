import { OPERATION_CATALOGUE, isCataloguedOperation, type Block, type CommandMeta } from '@memsidecar/core';
import type { Capability } from '@memsidecar/auth';
import type { Caps } from '@memsidecar/policy';

/** Who is asking, and the impure facts of this request, resolved once at the edge. */
export interface RequestContext {
  principal: Capability;
  now: Date;
  /** What carried the request (`nats`, `grpc`, `http`, `mcp`), recorded on the events it writes. */
  transport: string;
  requestId?: string;
  sessionId?: string;
  sessionToken?: string;
  /** Upper bounds a policy sets for this request (given values over them were refused already). */
  caps?: Caps;
}

/** The value an operation uses for an absent bounded field: its default, lowered to the policy's cap. */
export const defaultWithinCap = (ctx: RequestContext, field: keyof Caps, fallback: number): number =>
  Math.min(fallback, ctx.caps?.[field] ?? fallback);

/** Where a streaming operation writes its items, in order; resolves once the item is handed over. */
export type StreamSink<Item = unknown> = (item: Item) => Promise<void>;

/**
 * One operation of the contract, transport-neutral: every transport maps its request onto
 * `input` (a class-validator DTO) and calls `handle` through the dispatcher. `O` is its reply and
 * `Item` a streaming operation's item, both declared by the block next to its input, where the
 * SDK takes them from.
 */
export interface Operation<I extends object = any, O = unknown, Item = unknown> {
  /** Fully qualified name: `kv.put`. */
  name: string;
  /** The op a token must grant to call it; the name unless the contract names another (`audit.read`). */
  scope: string;
  block: Block;
  mutation: boolean;
  input: new () => I;
  /** The namespace the request touches, checked against the token before anything is read. */
  namespace(input: I): string;
  handle(input: I, ctx: RequestContext): Promise<O>;
  /** Set on streaming operations (e.g. `episodic.tail`): items go to `sink`, `handle` is not used. */
  stream?(input: I, ctx: RequestContext, sink: StreamSink<Item>): Promise<void>;
}

export const commandMeta = (ctx: RequestContext): CommandMeta => ({
  now: ctx.now,
  tenant: ctx.principal.tenant,
  agent: ctx.principal.agent,
  tokenId: ctx.principal.tokenId || undefined,
  sessionId: ctx.sessionId,
  requestId: ctx.requestId,
  transport: ctx.transport,
  trust: ctx.principal.trust,
});

/**
 * Declares an operation of `block` named `<block>.<name>`; the namespace checked against the token
 * is the input's `ns` unless `namespace` says otherwise, and the op it must grant is the name
 * unless `scope` says otherwise. Its types are given explicitly, from the block's declarations:
 * `operation<KvPutInput, KvPutResult>(…)`, `operation<EpisodicTailInput, never, EpisodicTailItem>(…)`
 * for a streaming one; a handler that answers anything else does not compile (the reply is never
 * inferred from the handler, and without the types given no handler compiles).
 */
export function operation<I extends object, O = never, Item = never>(
  block: Block,
  name: string,
  spec: {
    mutation: boolean;
    input: new () => I;
    handle?(input: I, ctx: RequestContext): Promise<NoInfer<O>>;
    stream?(input: I, ctx: RequestContext, sink: StreamSink<NoInfer<Item>>): Promise<void>;
    namespace?(input: I): string;
    scope?: string;
  },
): Operation<I, O, Item> {
  const { handle, stream } = spec;
  const qualified = `${block}.${name}`;
  if (!handle === !stream) throw new Error(`${qualified} needs exactly one of handle and stream`);
  return {
    name: qualified,
    scope: spec.scope ?? qualified,
    block,
    mutation: spec.mutation,
    input: spec.input,
    namespace: spec.namespace ?? ((i) => (i as { ns?: string }).ns ?? 'default'),
    handle: handle ?? (() => Promise.reject(new Error(`${block}.${name} is a streaming operation`))),
    stream,
  };
}

/**
 * The catalogue is what clients retry and journal by: a served operation it does not describe, or
 * describes otherwise, would be retried or replayed wrongly. Checked when the service registers its blocks.
 */
export function assertCatalogued(operations: readonly Operation[]): void {
  for (const o of operations) {
    if (!isCataloguedOperation(o.name)) throw new Error(`${o.name} is not in the operation catalogue (@memsidecar/core)`);
    if (OPERATION_CATALOGUE[o.name].mutation !== o.mutation) throw new Error(`${o.name}: mutation ${o.mutation} contradicts the operation catalogue`);
  }
}
