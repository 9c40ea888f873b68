export * from './policy';
export * from './policy-engine';
