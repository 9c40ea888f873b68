import { assertNever, failedPrecondition, invalidArgument, type Decider } from '@memsidecar/core';
import type { MetadataValue, NamespaceSettings, SemanticEvent, StoredRecord } from './semantic.events';

//////////////////////////////////////// Commands

export interface RecordInput {
  id: string;
  content?: string;
  /** Already embedded or given by the caller. */
  vector: number[];
  vectorB64: string;
  payload?: unknown;
  metadata?: Record<string, MetadataValue>;
  validFrom?: string;
  validTo?: string;
  supersedes?: string[];
  ifVersion?: number;
}

/** What the read model says about one id before the decision (absent when never stored or hard-deleted). */
export interface CurrentRecord {
  version: number;
  createdAt: string;
}

export interface UpsertRecords {
  type: 'UpsertRecords';
  /** The embedder that embedded some of the records, or null when every record brought its vector. */
  embedder: string | null;
  records: RecordInput[];
  /** Filled by the look-up before the decision. */
  current?: Record<string, CurrentRecord>;
  /** A revert: the log sequence whose state of the record it restores. */
  revertedTo?: number;
}

export interface DeleteRecords {
  type: 'DeleteRecords';
  ids: string[];
  hard: boolean;
  /** Filled by the look-up: whether each id is there to delete (live for soft, any row for hard). */
  existed?: boolean[];
  /** A revert: the log sequence whose state (absent) of the record it restores. */
  revertedTo?: number;
}

export interface ExpireRecords {
  type: 'ExpireRecords';
  action: 'invalidate' | 'soft' | 'hard';
  filter: Record<string, MetadataValue>;
  maxRows: number;
  /** Filled by the look-up: the matching records, oldest first. */
  ids?: string[];
}

export type SemanticCommand = UpsertRecords | DeleteRecords | ExpireRecords;

//////////////////////////////////////// State

/** The embedder of a namespace whose records all came with their own vectors. */
export const EXTERNAL = 'external';

export type SemanticState = { status: 'empty' } | ({ status: 'settled' } & NamespaceSettings);

export const initialSemanticState = (): SemanticState => ({ status: 'empty' });

/** The namespace's embedder and dimension: fixed by its first upsert. */
function settingsFor(c: UpsertRecords, state: SemanticState): NamespaceSettings {
  const dimension = c.records[0].vector.length;
  if (state.status === 'empty') return { embedder: c.embedder ?? EXTERNAL, dimension };
  if (c.embedder !== null && state.embedder !== c.embedder) {
    throw invalidArgument('records', `namespace embeds with ${state.embedder}; this request used ${c.embedder}`);
  }
  return { embedder: state.embedder, dimension: state.dimension };
}

const settled = (state: SemanticState): NamespaceSettings =>
  state.status === 'settled' ? { embedder: state.embedder, dimension: state.dimension } : { embedder: 'none', dimension: 0 };

//////////////////////////////////////// Decisions

function upsert(c: UpsertRecords, state: SemanticState, now: string): SemanticEvent {
  const settings = settingsFor(c, state);
  c.records.forEach((r, i) => {
    if (r.vector.length !== settings.dimension) throw invalidArgument(`records[${i}].vector`, `must have ${settings.dimension} dimensions (the namespace's), got ${r.vector.length}`);
  });
  const current = c.current ?? {};
  // One failed compare-and-set rejects the whole batch.
  c.records.forEach((r, i) => {
    const actual = current[r.id]?.version ?? 0;
    if (r.ifVersion !== undefined && r.ifVersion !== actual) {
      throw failedPrecondition('VERSION_MISMATCH', `records[${i}] (${r.id}): ifVersion is ${r.ifVersion}, current version is ${actual}`, { field: `records[${i}].ifVersion`, id: r.id, expected: r.ifVersion, actual });
    }
  });
  const seen = new Map<string, number>();
  const records: StoredRecord[] = c.records.map((r) => {
    const version = (seen.get(r.id) ?? current[r.id]?.version ?? 0) + 1;
    seen.set(r.id, version);
    return {
      id: r.id,
      version,
      content: r.content ?? null,
      vector: r.vectorB64,
      payload: r.payload ?? null,
      metadata: r.metadata ?? null,
      validFrom: r.validFrom ?? now,
      validTo: r.validTo ?? null,
      supersedes: (r.supersedes ?? []).filter((id) => id !== r.id),
      createdAt: current[r.id]?.createdAt ?? now,
      updatedAt: now,
    };
  });
  const reverted = c.revertedTo === undefined ? {} : { revertedTo: c.revertedTo };
  return { type: 'semantic.records_upserted', v: 1, data: { ...settings, records, ...reverted } };
}

export const semanticDecider: Decider<SemanticState, SemanticCommand, SemanticEvent> = {
  initialState: initialSemanticState,
  decide(command, state, meta) {
    const now = meta.now.toISOString();
    switch (command.type) {
      case 'UpsertRecords':
        return upsert(command, state, now);
      case 'DeleteRecords': {
        const existed = command.existed ?? command.ids.map(() => false);
        if (!existed.some(Boolean)) return null;
        const reverted = command.revertedTo === undefined ? {} : { revertedTo: command.revertedTo };
        return { type: 'semantic.records_deleted', v: 1, data: { ...settled(state), ids: command.ids, existed, hard: command.hard, at: now, ...reverted } };
      }
      case 'ExpireRecords':
        if (!command.ids?.length) return null;
        return { type: 'semantic.records_expired', v: 1, data: { ...settled(state), ids: command.ids, action: command.action, at: now } };
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'semantic.records_upserted':
      case 'semantic.records_deleted':
      case 'semantic.records_expired':
        return event.data.dimension > 0 ? { status: 'settled', embedder: event.data.embedder, dimension: event.data.dimension } : state;
      default:
        return assertNever(event);
    }
  },
};
