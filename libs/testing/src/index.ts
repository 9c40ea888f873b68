export * from './nats';
export * from './postgres';
export * from './service';
export * from './client';
export * from './decider-spec';
export * from './log';
export * from './integration';
export * from './contract-clients';
