export * from './tools';
export * from './server';
export * from './nats-caller';
export * from './input-schema';
