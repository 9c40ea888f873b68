export { MemsidecarChatMessageHistory, type MemsidecarChatMessageHistoryOptions } from './chat-history';
export { MemsidecarKeyValueStore, type MemsidecarKeyValueStoreOptions } from './kv-store';
