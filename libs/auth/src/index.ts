export * from './paseto-v4';
export * from './keys';
export * from './capability';
export * from './jwt';
export * from './bearer';
