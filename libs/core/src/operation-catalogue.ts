/**
 * How a client may treat an operation. `mutation`: it changes memory, so every attempt of one call
 * carries the same `Mem-Request-Id`. `journaled`: a mutation of memory itself, written to the
 * client's transaction log and sent again after a crash; leases, sessions and uploads are not
 * (re-acquiring a lease or re-opening a session after a restart would be wrong, and an upload is
 * resumed by its id).
 */
export interface OperationTraits {
  mutation: boolean;
  journaled: boolean;
}

const read = { mutation: false, journaled: false } as const;
const change = { mutation: true, journaled: false } as const;
const memoryChange = { mutation: true, journaled: true } as const;

/**
 * Every operation of the contract: the one list the service's operations are checked against at
 * registration and the client's retries and transaction log are derived from.
 */
export const OPERATION_CATALOGUE = {
  'kv.put': memoryChange,
  'kv.get': read,
  'kv.mget': read,
  'kv.delete': memoryChange,
  'kv.revert': memoryChange,
  'kv.list': read,
  'episodic.append': memoryChange,
  'episodic.range': read,
  'episodic.expire': memoryChange,
  'episodic.tail': read,
  'semantic.upsert': memoryChange,
  'semantic.search': read,
  'semantic.delete': memoryChange,
  'semantic.revert': memoryChange,
  'semantic.expire': memoryChange,
  'artifact.put': memoryChange,
  'artifact.get': read,
  'artifact.read': read,
  'artifact.stat': read,
  'artifact.list': read,
  'artifact.delete': memoryChange,
  'artifact.upload.begin': change,
  'artifact.upload.append': change,
  'artifact.upload.commit': change,
  'lease.acquire': change,
  'lease.renew': change,
  'lease.release': change,
  'lease.inspect': read,
  'lease.list': read,
  'session.open': change,
  'session.heartbeat': change,
  'session.checkpoint': change,
  'session.close': change,
  'session.get': read,
  'facts.write': memoryChange,
  'facts.search': read,
  'facts.tick': change,
  'facts.status': read,
  'facts.reflect': read,
  'facts.export': read,
  'facts.purge': memoryChange,
  'facts.revert': memoryChange,
  'graph.upsert': memoryChange,
  'graph.get': read,
  'graph.neighbors': read,
  'graph.traverse': read,
  'graph.delete': memoryChange,
  'audit.query': read,
  'audit.erase': change,
} as const satisfies Record<string, OperationTraits>;

export type OperationName = keyof typeof OPERATION_CATALOGUE;

export const isCataloguedOperation = (name: string): name is OperationName => Object.hasOwn(OPERATION_CATALOGUE, name);

/** The catalogued operations with a trait, e.g. every mutation. */
export const operationsWhere = (trait: keyof OperationTraits): Set<string> =>
  new Set(Object.entries(OPERATION_CATALOGUE).flatMap(([name, traits]) => (traits[trait] ? [name] : [])));
