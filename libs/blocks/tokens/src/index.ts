export * from './tokens.events';
export * from './tokens.decider';
export * from './tokens.records';
export * from './tokens.revocations';
export * from './token-entry.entity';
export * from './tokens.projection';
export * from './tokens.queries';
export { AuthTokens1764806400100 } from './migrations/1764806400100-auth-tokens';
export * from './tokens.block';
