/**
 * Reads an event's data stored as version `v` as a newer version. The log is kept for good, so
 * when an event's shape changes the old versions stay in it; upcasters let deciders and read
 * models see only the current one.
 */
export type Upcaster = (data: unknown) => { v: number; data: unknown };

/** Upcasters by event type, then by the version they read: `{ 'kv.value_set': { 1: toV2 } }`. */
export type Upcasters = Record<string, Record<number, Upcaster>>;

/** `Upcasters` merged and indexed for decoding. */
export type UpcasterRegistry = Map<string, Map<number, Upcaster>>;

interface Versioned {
  type: string;
  v: number;
  data: unknown;
}

/** Empty until a version 2 of some event exists; a lookup per decoded event, so kept in a Map. */
let installed: UpcasterRegistry = new Map();

/** Merges several declarations (one per block); two upcasters for the same type and version are a mistake. */
export function upcasterRegistry(...declarations: Upcasters[]): UpcasterRegistry {
  const registry: UpcasterRegistry = new Map();
  for (const declaration of declarations) {
    for (const [type, byVersion] of Object.entries(declaration)) {
      const versions = registry.get(type) ?? new Map<number, Upcaster>();
      for (const [v, upcaster] of Object.entries(byVersion)) {
        if (versions.has(Number(v))) throw new Error(`two upcasters for ${type} version ${v}`);
        versions.set(Number(v), upcaster);
      }
      registry.set(type, versions);
    }
  }
  return registry;
}

/** Sets the upcasters every decode of the log applies from now on (replacing those set before). */
export function installUpcasters(...declarations: Upcasters[]): void {
  installed = upcasterRegistry(...declarations);
}

/**
 * The event as the newest version its upcasters reach: each one registered for its type and
 * current `v` applied in turn (v1 → v2 → v3), until none is. Changes the event in place, like the
 * decoding it follows.
 */
export function upcast<T extends Versioned>(event: T, registry: UpcasterRegistry = installed): T {
  const versions = registry.get(event.type);
  if (!versions) return event;
  const e: Versioned = event;
  for (let upcaster = versions.get(e.v); upcaster; upcaster = versions.get(e.v)) {
    const next = upcaster(e.data);
    // A version that does not grow would be upcast again and again.
    if (!(next.v > e.v)) throw new Error(`upcaster of ${e.type} version ${e.v} returned version ${next.v}`);
    e.v = next.v;
    e.data = next.data;
  }
  return event;
}
