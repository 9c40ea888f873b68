import 'reflect-metadata';

const DESCRIPTION = 'memsidecar:description';

/**
 * What a field of an operation's input means, for those who call it without reading the code:
 * MCP tools list it with the field's schema. Validation ignores it.
 */
export const Describe =
  (text: string) =>
  (target: object, propertyName: string): void =>
    Reflect.defineMetadata(DESCRIPTION, text, target, propertyName);

/** The `@Describe` text of a field of `input`, inherited fields included. */
export const fieldDescription = (input: new () => object, propertyName: string): string | undefined =>
  Reflect.getMetadata(DESCRIPTION, input.prototype, propertyName) as string | undefined;
