export * from './event-log';
export * from './subject-filter';
export * from './stream-config';
export * from './event-store';
export * from './upcasters';
export * from './aggregate-runtime';
export * from './nats-server-process';
export * from './in-memory-event-log';
