import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';
import { fieldDescription } from '@memsidecar/api';
import { NS_PATTERN } from '@memsidecar/core';

/** The JSON Schema (draft 2020-12) subset an operation's input is described with. */
export interface JsonSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  maxProperties?: number;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  contentEncoding?: string;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  anyOf?: JsonSchema[];
}

/** An object schema: what MCP takes as a tool's input. */
export type ObjectSchema = JsonSchema & { type: 'object'; properties: Record<string, JsonSchema>; required: string[] };

type Dto = new () => object;

const MAP_KEYS: JsonSchema = { minLength: 1, maxLength: 128 };
const SHORT_STRING: JsonSchema = { type: 'string', maxLength: 4096 };

/**
 * The validators of libs/api and of the blocks, by name, as schema. The JSON Schema says what the
 * validator says where it can; where it cannot (a key's 512 bytes, an artifact id that is not
 * "." or ".."), it is looser, never stricter, and the operation refuses the rest itself.
 */
const NAMED: Record<string, (m: ValidationMetadata) => JsonSchema> = {
  isString: () => ({ type: 'string' }),
  isInt: () => ({ type: 'integer' }),
  isNumber: () => ({ type: 'number' }),
  isBoolean: () => ({ type: 'boolean' }),
  isArray: () => ({ type: 'array' }),
  isObject: () => ({ type: 'object', description: 'a JSON object' }),
  isUuid: () => ({ type: 'string', format: 'uuid' }),
  isBase64: () => ({ type: 'string', contentEncoding: 'base64' }),
  isIso8601: () => ({ type: 'string', description: 'an ISO 8601 time' }),
  isIsoTime: () => ({ type: 'string', description: 'an ISO 8601 time, e.g. 2025-01-31T12:00:00Z' }),
  min: (m) => ({ minimum: m.constraints[0] as number }),
  max: (m) => ({ maximum: m.constraints[0] as number }),
  isLength: (m) => ({ minLength: m.constraints[0] as number, ...(m.constraints[1] === undefined ? {} : { maxLength: m.constraints[1] as number }) }),
  maxLength: (m) => ({ maxLength: m.constraints[0] as number }),
  minLength: (m) => ({ minLength: m.constraints[0] as number }),
  matches: (m) => ({ type: 'string', pattern: m.constraints[0] instanceof RegExp ? m.constraints[0].source : String(m.constraints[0]) }),
  isIn: (m) => ({ enum: [...(m.constraints[0] as unknown[])] }),
  arrayMinSize: (m) => ({ minItems: m.constraints[0] as number }),
  arrayMaxSize: (m) => ({ maxItems: m.constraints[0] as number }),
  isNamespace: () => ({ type: 'string', pattern: NS_PATTERN.source, description: 'namespace: 1-128 characters of [A-Za-z0-9_.:-]' }),
  isKey: () => ({ type: 'string', minLength: 1, maxLength: 512, description: 'key: 1-512 bytes of UTF-8, no NUL' }),
  isJsonValue: () => ({ description: 'any JSON value' }),
  isStringMap: () => ({ type: 'object', maxProperties: 64, propertyNames: MAP_KEYS, additionalProperties: SHORT_STRING, description: 'map of string values' }),
  isScalarMap: () => ({
    type: 'object',
    maxProperties: 64,
    propertyNames: MAP_KEYS,
    additionalProperties: { anyOf: [SHORT_STRING, { type: 'number' }, { type: 'boolean' }] },
    description: 'map of string, number or boolean values',
  }),
  isArtifactId: () => ({ type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$', description: 'artifact id: 1-128 characters of [A-Za-z0-9_.-], not "." or ".."' }),
  isUploadId: () => ({ type: 'string', description: 'an uploadId returned by artifact.upload.begin' }),
};

/** class-validator's kinds of metadata (its ValidationTypes) besides named validators. */
const CONDITIONAL = 'conditionalValidation';
const NESTED = 'nestedValidation';
const DEFINED = 'isDefined';
const CUSTOM = 'customValidation';

/** Thrown for an input whose validation the schema cannot describe: teach NAMED the validator. */
export class UndescribableInputError extends Error {}

/**
 * The JSON Schema of an operation's input, read from its class-validator DTO: the schema MCP
 * lists is the one the operation validates with, not a copy. Unknown fields are refused, as the
 * service's whitelist does.
 */
export function inputJsonSchema(input: Dto): ObjectSchema {
  return objectSchema(input, [input.name]);
}

function objectSchema(input: Dto, path: string[]): ObjectSchema {
  const byField = new Map<string, ValidationMetadata[]>();
  for (const m of getMetadataStorage().getTargetValidationMetadatas(input, '', true, false)) byField.set(m.propertyName, [...(byField.get(m.propertyName) ?? []), m]);
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [field, metadatas] of byField) {
    properties[field] = fieldSchema(input, field, metadatas, [...path, field]);
    const optional = metadatas.some((m) => m.type === CONDITIONAL) && !metadatas.some((m) => m.type === DEFINED);
    if (!optional) required.push(field);
  }
  return { type: 'object', properties, required, additionalProperties: false };
}

function fieldSchema(input: Dto, field: string, metadatas: ValidationMetadata[], path: string[]): JsonSchema {
  let own: JsonSchema = {};
  let each: JsonSchema = {};
  for (const m of metadatas) {
    if (m.type === CONDITIONAL || m.type === DEFINED) continue;
    const part = m.type === NESTED ? nestedSchema(input, field, path) : m.type === CUSTOM && m.name && NAMED[m.name] ? NAMED[m.name](m) : undefined;
    if (!part) throw new UndescribableInputError(`${path.join('.')}: no JSON Schema for the validator ${m.name ?? m.type}`);
    if (m.each) each = merge(each, part);
    else own = merge(own, part);
  }
  if (Object.keys(each).length > 0) own = merge(own, { type: 'array', items: each });
  const description = [fieldDescription(input, field), own.description].filter(Boolean).join('; ');
  return description ? { ...own, description } : own;
}

/** `@ValidateNested` with class-transformer's `@Type`: an object, or an array of them. */
function nestedSchema(input: Dto, field: string, path: string[]): JsonSchema {
  const type = defaultMetadataStorage.findTypeMetadata(input, field)?.typeFunction() as Dto | undefined;
  if (!type) throw new UndescribableInputError(`${path.join('.')}: @ValidateNested without @Type`);
  return { ...objectSchema(type, path), additionalProperties: false };
}

/** Two parts of one field's schema; a nested object under an array becomes its items. */
function merge(a: JsonSchema, b: JsonSchema): JsonSchema {
  if (a.type === 'array' && b.type === 'object') return { ...a, items: merge(a.items ?? {}, b) };
  if (b.type === 'array' && a.type === 'object') return { ...b, items: merge(b.items ?? {}, a) };
  const description = [a.description, b.description].filter(Boolean).join('; ');
  return { ...a, ...b, ...(description ? { description } : {}) };
}
