import 'reflect-metadata';
import { plainToInstance } from 'class-transformer';
import { isISO8601, registerDecorator, validateSync, type ValidationError, type ValidationOptions } from 'class-validator';
import { NS_PATTERN, invalidArgument } from '@memsidecar/core';

const VALIDATOR_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, stopAtFirstError: true, forbidUnknownValues: true };

/** Parses a request body: absent means `{}`, anything but a JSON object is INVALID_ARGUMENT. */
export function parseBody(raw: Uint8Array | string | undefined): Record<string, unknown> {
  const text = typeof raw === 'string' ? raw : raw && raw.length ? Buffer.from(raw).toString('utf8') : '';
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (e) {
    throw invalidArgument('body', `malformed JSON (${(e as Error).message})`);
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw invalidArgument('body', 'must be a JSON object');
  assertDepth(body, MAX_DEPTH);
  return body as Record<string, unknown>;
}

/** How deep JSON may nest: deeper structures serve no memory use and would exhaust recursive code. */
export const MAX_DEPTH = 64;

/**
 * Bounds nesting, and refuses NUL characters anywhere: no memory needs them, and Postgres text
 * cannot hold them. The common case (nothing wrong) is checked without building paths; the path
 * of a problem is found on a second pass.
 */
export function assertDepth(root: unknown, max: number): void {
  if (!withinDepth(root, 1, max)) describeDepthProblem(root, max);
}

function withinDepth(value: unknown, depth: number, max: number): boolean {
  if (typeof value === 'string') return !value.includes('\u0000');
  if (value === null || typeof value !== 'object') return true;
  if (depth > max) return false;
  if (Array.isArray(value)) {
    for (const child of value) if (!withinDepth(child, depth + 1, max)) return false;
    return true;
  }
  for (const k in value) {
    if (k.includes('\u0000') || !withinDepth((value as Record<string, unknown>)[k], depth + 1, max)) return false;
  }
  return true;
}

function describeDepthProblem(root: unknown, max: number): void {
  const stack: [unknown, number, string][] = [[root, 1, '']];
  while (stack.length) {
    const [value, depth, path] = stack.pop()!;
    if (typeof value === 'string') {
      if (value.includes('\u0000')) throw invalidArgument(path || 'body', 'must not contain NUL characters');
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > max) throw invalidArgument('body', `nested deeper than ${max} levels`);
    for (const [k, child] of Object.entries(value)) {
      if (k.includes('\u0000')) throw invalidArgument(path || 'body', 'must not contain NUL characters');
      stack.push([child, depth + 1, path ? (Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`) : k]);
    }
  }
}

/**
 * Builds the DTO and validates it; the first problem becomes INVALID_ARGUMENT naming the field.
 * The body has passed `parseBody` or `assertDepth` already.
 */
export function validateInput<T extends object>(dto: new () => T, body: Record<string, unknown>): T {
  const input = plainToInstance(dto, body, { enableImplicitConversion: false });
  const errors = validateSync(input, VALIDATOR_OPTIONS);
  if (errors.length > 0) {
    const [path, message] = firstProblem(errors[0]);
    throw invalidArgument(path, message);
  }
  return input;
}

function firstProblem(error: ValidationError, parent = ''): [string, string] {
  const path = parent ? (/^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`) : error.property;
  if (error.constraints) {
    const [kind, message] = Object.entries(error.constraints)[0];
    if (kind === 'whitelistValidation') return [path, 'unknown field'];
    return [path, message.replace(new RegExp(`^${error.property} `), '')];
  }
  if (error.children?.length) return firstProblem(error.children[0], path);
  return [path, 'is invalid'];
}

const custom = (name: string, message: string, test: (value: unknown) => boolean, options?: ValidationOptions) =>
  (target: object, propertyName: string) =>
    registerDecorator({ name, target: target.constructor, propertyName, options: { message, ...options }, validator: { validate: test } });

export const IsNamespace = () => custom('isNamespace', 'must be 1-128 characters of [A-Za-z0-9_.:-]', (v) => typeof v === 'string' && NS_PATTERN.test(v));

/** 1–512 bytes of well-formed UTF-8 without NUL. */
export const isValidKey = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.isWellFormed() && !v.includes('\0') && Buffer.byteLength(v, 'utf8') <= 512;

export const IsKey = (options?: ValidationOptions) => custom('isKey', 'must be 1-512 bytes of UTF-8 without NUL', isValidKey, options);

/** Strict ISO 8601 that `Date` reads too: week and ordinal dates pass the former but not the latter. */
export const IsIsoTime = () =>
  custom('isIsoTime', 'must be an ISO 8601 time, e.g. 2025-01-31T12:00:00Z', (v) => typeof v === 'string' && isISO8601(v, { strict: true }) && !Number.isNaN(Date.parse(v)));

/** Present (null counts), JSON-serialisable, and not undefined. */
export const IsJsonValue = () => custom('isJsonValue', 'is required and must be a JSON value', (v) => v !== undefined);

/** An object of at most 64 entries, keys 1-128 characters, every value passing `value`. */
const isSmallMap = (v: unknown, value: (x: unknown) => boolean): boolean =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.keys(v).length <= 64 &&
  Object.entries(v).every(([k, x]) => k.length > 0 && k.length <= 128 && value(x));

const isShortString = (x: unknown): boolean => typeof x === 'string' && x.length <= 4096;

export const IsStringMap = () =>
  custom('isStringMap', 'must be an object of string values (at most 64 entries, keys 1-128 characters)', (v) => isSmallMap(v, isShortString));

/** Metadata as vector databases take it: values are strings, finite numbers or booleans. */
export const IsScalarMap = () =>
  custom(
    'isScalarMap',
    'must be an object of string, finite number or boolean values (at most 64 entries, keys 1-128 characters, strings up to 4096)',
    (v) => isSmallMap(v, (x) => isShortString(x) || typeof x === 'boolean' || (typeof x === 'number' && Number.isFinite(x))),
  );

/** Size of a JSON value as stored, checked against a configured limit. */
export function assertJsonSize(field: string, value: unknown, maxBytes: number): void {
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? 'null', 'utf8');
  if (bytes > maxBytes) throw invalidArgument(field, `is ${bytes} bytes, over the limit of ${maxBytes}`);
}
