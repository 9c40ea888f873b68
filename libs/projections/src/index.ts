export * from './database';
export * from './projection';
export * from './projection-runner';
export * from './read-models';
export * from './rate-meter';
export * from './shared-log-feed';
export * from './checkpoint.entity';
export * from './applied-request.entity';
export { ProjectionBookkeeping1763769600000 } from './migrations/1763769600000-projection-bookkeeping';
