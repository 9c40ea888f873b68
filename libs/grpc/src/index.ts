export * from './proto-files';
export * from './proto-json';
