import { ArrayMaxSize, IsArray, IsInt, IsOptional, Min } from 'class-validator';
import { MemError, lowestTrust, type CommandMeta, type TrustLabel } from '@memsidecar/core';
import { allowsNamespace } from '@memsidecar/auth';
import type { EventLog } from '@memsidecar/event-store';
import { Describe } from './describe';
import { commandMeta, type RequestContext } from './operation';

export const MAX_DERIVED_FROM = 100;

/** The optional `derivedFrom` field of a write: log sequences (`provenance.seq`) of what it was derived from. */
export const IsDerivedFrom =
  () =>
  (target: object, propertyName: string): void => {
    for (const decorate of [
      Describe(`log sequences (provenance.seq) of the memories this one was derived from, at most ${MAX_DERIVED_FROM}; its trust is the lowest of theirs and the token's`),
      IsOptional(),
      IsArray(),
      ArrayMaxSize(MAX_DERIVED_FROM),
      IsInt({ each: true }),
      Min(1, { each: true }),
    ])
      decorate(target, propertyName);
  };

/**
 * The command meta of a write derived from the events at `derivedFrom`: it names them, and its
 * trust is the lowest of the token's and every source's. A source must be an event of the caller's
 * tenant in a namespace the token covers; anything else (another tenant's, one the token may not
 * read, a sequence the log does not hold) is refused alike, so a caller learns nothing of it.
 */
export async function derivedCommandMeta(log: Pick<EventLog, 'at'>, ctx: RequestContext, derivedFrom: readonly number[] | undefined): Promise<CommandMeta> {
  const meta = commandMeta(ctx);
  if (!derivedFrom?.length) return meta;
  const sources = [...new Set(derivedFrom)];
  const trusts: (TrustLabel | undefined)[] = [];
  for (const seq of sources) {
    const source = await log.at(seq);
    // Token records (block auth) sit under a pseudo-tenant that a tenant may share the name of.
    if (!source || source.tenant !== ctx.principal.tenant || source.block === 'auth' || !allowsNamespace(ctx.principal, source.block, source.ns)) {
      throw new MemError('INVALID_ARGUMENT', `derivedFrom: ${seq} is not the sequence of an event this token can read`, undefined, { field: 'derivedFrom' });
    }
    trusts.push(source.trust);
  }
  return { ...meta, trust: lowestTrust([meta.trust, ...trusts]), derivedFrom: sources };
}
