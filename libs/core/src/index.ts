export * from './errors';
export * from './clock';
export * from './envelope';
export * from './decider';
export * from './subjects';
export * from './limits';
export * from './lru';
export * from './patterns';
