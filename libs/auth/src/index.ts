export * from './paseto-v4';
export * from './keys';
export * from './capability';
