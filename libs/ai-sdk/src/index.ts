export { MemoryChatStore, MESSAGE_EVENT_TYPE, type ChatStoreOptions, type SaveChatResult } from './chat-store';
export { ChatStoreError, type ChatStoreErrorReason } from './chat-store-error';
export { mergeMessages, type MessageVersion, type MergedMessage } from './merge-messages';
export { memoryTools, rememberInput, recallInput, type MemoryToolsOptions, type RememberOutput, type RecallOutput } from './memory-tools';
