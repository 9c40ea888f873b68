export * from './erasure-subject';
export * from './subject-keys';
export * from './payload-cipher';
export * from './in-memory-subject-keys';
export * from './nats-subject-keys';
export * from './sealed-event-store';
export * from './master-key';
