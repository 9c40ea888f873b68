export * from './operation';
export * from './validation';
export * from './authenticator';
export * from './dispatcher';
export * from './block';
export * from './periodic-worker';
export * from './describe';
export * from './derivation';
