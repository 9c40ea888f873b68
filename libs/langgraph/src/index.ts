export { MemsidecarSaver, type MemsidecarSaverOptions, type PruneResult } from './saver';
export * from './store';
