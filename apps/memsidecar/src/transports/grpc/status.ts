import { Metadata, status, type StatusObject } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import type { ErrorCode, MemError } from '@memsidecar/core';

/** The canonical gRPC status of each contract code. */
export const GRPC_STATUS: Record<ErrorCode, status> = {
  INVALID_ARGUMENT: status.INVALID_ARGUMENT,
  UNAUTHENTICATED: status.UNAUTHENTICATED,
  PERMISSION_DENIED: status.PERMISSION_DENIED,
  NOT_FOUND: status.NOT_FOUND,
  FAILED_PRECONDITION: status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: status.RESOURCE_EXHAUSTED,
  INTERNAL: status.INTERNAL,
  UNAVAILABLE: status.UNAVAILABLE,
  DEADLINE_EXCEEDED: status.DEADLINE_EXCEEDED,
};

// google.rpc.Status with a google.rpc.ErrorInfo detail: the standard place for a machine-readable reason.
const rpc = protobuf.Root.fromJSON(<protobuf.INamespace>{
  nested: {
    google: {
      nested: {
        protobuf: { nested: { Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } } } },
        rpc: {
          nested: {
            Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 } } },
            ErrorInfo: { fields: { reason: { type: 'string', id: 1 }, domain: { type: 'string', id: 2 }, metadata: <protobuf.IMapField>{ keyType: 'string', type: 'string', id: 3 } } },
          },
        },
      },
    },
  },
});
const StatusType = rpc.lookupType('google.rpc.Status');
const ErrorInfoType = rpc.lookupType('google.rpc.ErrorInfo');

/** A MemError as a gRPC status: canonical code, message, and the contract code and reason in trailers. */
export function grpcError(error: MemError): Partial<StatusObject> {
  const metadata = new Metadata();
  metadata.set('mem-error-code', error.code);
  if (error.reason) metadata.set('mem-error-reason', error.reason);
  if (error.details) metadata.set('mem-error-details', JSON.stringify(error.details));
  const info = ErrorInfoType.encode({
    reason: error.reason ?? error.code,
    domain: 'memsidecar',
    metadata: { code: error.code, ...Object.fromEntries(Object.entries(error.details ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])) },
  }).finish();
  const details = StatusType.encode({
    code: GRPC_STATUS[error.code],
    message: error.message,
    details: [{ type_url: 'type.googleapis.com/google.rpc.ErrorInfo', value: info }],
  }).finish();
  metadata.set('grpc-status-details-bin', Buffer.from(details));
  return { code: GRPC_STATUS[error.code], details: error.message, metadata };
}
