import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';

/** The checkout's `proto/` folder, from the sources or from `dist/`. */
export function protoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'proto', 'memsidecar'))) return join(dir, 'proto');
  }
  throw new Error('cannot find the proto/ folder of memsidecar');
}

/** Every `memsidecar/<block>/v1/*.proto`, relative to the proto root. */
export function protoFiles(root = protoRoot()): string[] {
  const blocks = readdirSync(join(root, 'memsidecar'), { withFileTypes: true }).filter((d) => d.isDirectory());
  return blocks.flatMap((b) =>
    readdirSync(join(root, 'memsidecar', b.name, 'v1'))
      .filter((f) => f.endsWith('.proto'))
      .map((f) => `memsidecar/${b.name}/v1/${f}`),
  );
}

/** How messages cross into JavaScript: camelCase fields (as in the JSON bodies), int64 as numbers, bytes as base64. */
export const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, bytes: String, defaults: false, oneofs: true };

export function loadPackageDefinition(root = protoRoot()): protoLoader.PackageDefinition {
  return protoLoader.loadSync(protoFiles(root), { ...LOADER_OPTIONS, includeDirs: [root] });
}

/** The same files as protobufjs reflection, to walk message fields. */
export function loadReflection(root = protoRoot()): protobuf.Root {
  const reflection = new protobuf.Root();
  reflection.resolvePath = (_origin, target) => (existsSync(join(root, target)) ? join(root, target) : target);
  reflection.loadSync(protoFiles(root), { keepCase: false });
  reflection.resolveAll();
  return reflection;
}
