export * from './blocks';
export * from './infrastructure';
export * from './read-model-fill';
export * from './rebuild';
export { NEXT_SCHEMA } from './blue-green';
