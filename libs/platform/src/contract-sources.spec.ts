import { getMetadataStorage } from 'class-validator';
import type { Method, Service, Type } from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { assertCatalogued, type BlockDependencies, type Operation } from '@memsidecar/api';
import { loadConfig } from '@memsidecar/config';
import { OPERATION_CATALOGUE } from '@memsidecar/core';
import { loadReflection } from '@memsidecar/grpc';
import { ALL_TOOLS, inputJsonSchema } from '@memsidecar/mcp';
import { BLOCKS } from './blocks';

/**
 * Every block's operations, declared without a running service: declaring reads only the
 * configuration, so the other dependencies are never touched here.
 */
function declaredOperations(): Operation[] {
  const config = loadConfig({});
  const deps = { config, limits: config.limits, store: {}, erasure: { onForget: () => {}, onErase: () => {} } } as unknown as BlockDependencies;
  return BLOCKS.flatMap((b) => b.operations(deps));
}

/** The fields a DTO accepts: with whitelisting, a field nobody decorated is refused. */
const dtoFields = (input: new () => object): string[] => [...new Set(getMetadataStorage().getTargetValidationMetadatas(input, '', true, false).map((m) => m.propertyName))].sort();

const rpcName = (op: string): string =>
  op
    .split('.')
    .slice(1)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');

function rpcOf(op: string): Method | undefined {
  const block = op.split('.')[0];
  const service = loadReflection().lookup(`memsidecar.${block}.v1.${block[0].toUpperCase()}${block.slice(1)}`) as Service | null;
  return service?.methods[rpcName(op)];
}

/**
 * Where a proto request deliberately differs from the JSON body, and why. Anything else that
 * differs is drift between the two sources of one operation.
 */
const PROTO_DIFFERENCES: Record<string, { onlyInJson?: string[]; onlyInProto?: string[]; why: string }> = {
  'artifact.upload.append': { why: 'gRPC uploads stream chunks through one Upload rpc (init, then chunks), so there is no UploadAppend message to compare' },
};

describe('one contract source per operation', () => {
  const operations = declaredOperations();

  it('the service declares exactly the catalogued operations, with the catalogue’s mutation flag', () => {
    expect(operations.map((o) => o.name).sort()).toEqual(Object.keys(OPERATION_CATALOGUE).sort());
    expect(() => assertCatalogued(operations)).not.toThrow();
    const contradicting = { ...operations.find((o) => o.name === 'kv.get')!, mutation: true };
    expect(() => assertCatalogued([contradicting])).toThrow(/kv.get: mutation true contradicts/);
  });

  it.each(Object.keys(OPERATION_CATALOGUE).filter((op) => !PROTO_DIFFERENCES[op]))('%s: the proto request has the JSON body’s fields', (op) => {
    const rpc = rpcOf(op);
    expect(rpc, `no rpc ${rpcName(op)} for ${op}`).toBeDefined();
    const request = rpc!.resolvedRequestType as Type;
    const protoFields = request.fieldsArray.map((f) => f.name).sort();
    const operation = operations.find((o) => o.name === op)!;
    expect(protoFields).toEqual(dtoFields(operation.input));
  });

  it.each(Object.keys(OPERATION_CATALOGUE))('%s: its input has a JSON Schema, so MCP can describe it', (op) => {
    const operation = operations.find((o) => o.name === op)!;
    expect(inputJsonSchema(operation.input).type).toBe('object');
  });

  it('every MCP tool takes the input class its operation declares', () => {
    for (const tool of ALL_TOOLS) expect(tool.input, `${tool.name} (${tool.op})`).toBe(operations.find((o) => o.name === tool.op)?.input);
  });
});
