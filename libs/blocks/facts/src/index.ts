export * from './notation';
export * from './closing-signals';
export * from './facts.model';
export * from './pressure';
export * from './write-decision';
export * from './tick-decision';
