export * from './blocks';
export * from './infrastructure';
