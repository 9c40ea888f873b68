/**
 * Why the chat store refused:
 * - `INVALID`: a bad chat id or message list (the message says which);
 * - `NOT_FOUND`: `loadChat` of a chat that was never created or saved;
 * - `EXISTS`: `createChat` with an id that is taken;
 * - `CONFLICT`: the compare-and-set kept losing to other writers for `maxAttempts` rounds; nothing of
 *   this save is in the chat, and calling `saveChat` again is safe;
 * - `TOO_LARGE`: a message, or the chat's index, is over `limits.maxValueBytes`;
 * - `MISSING_MESSAGE`: the index names a message event the episodic namespace no longer has
 *   (expired by a retention setting or `episodic.expire`).
 */
export type ChatStoreErrorReason = 'INVALID' | 'NOT_FOUND' | 'EXISTS' | 'CONFLICT' | 'TOO_LARGE' | 'MISSING_MESSAGE';

export class ChatStoreError extends Error {
  constructor(
    readonly reason: ChatStoreErrorReason,
    message: string,
    readonly chatId?: string,
  ) {
    super(message);
    this.name = 'ChatStoreError';
  }
}
