export * from './kv.events';
export * from './kv.decider';
export * from './kv.dto';
export * from './kv-entry.entity';
export * from './kv.projection';
export * from './kv.queries';
export * from './kv.operations';
export { KvEntries1763769600100 } from './migrations/1763769600100-kv-entries';
export * from './kv.block';
