export * from './notation';
export * from './closing-signals';
