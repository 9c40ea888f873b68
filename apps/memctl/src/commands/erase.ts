import { headers } from '@nats-io/transport-node';
import type { MemsidecarConfig } from '@memsidecar/config';
import { operationSubject } from '@memsidecar/core';
import { issueTokenWithRecord, readSigningKeys } from '@memsidecar/auth';
import type { AuditEraseResult } from '@memsidecar/audit';
import { NatsLog } from '@memsidecar/platform';
import { recordTokenIssued } from '@memsidecar/tokens';
import { UsageError, optionalOption, requiredOption, type ParsedArgs } from '../args';
import { quiet } from './projections';

/** An erasure waits for every read model to hold the log before it deletes their rows. */
const ERASE_TIMEOUT_MS = 120_000;
const TOKEN_TTL_MS = 5 * 60_000;

/**
 * `memctl erase --tenant T [--ns N] [--json]`: asks the running service to erase a tenant, or one
 * namespace of it, exactly as `audit.erase` does (an erasure needs the service: its read models, its
 * blobs and its caches go with it). memctl signs a short-lived token for that one op with the data
 * dir's key, recorded in the log like any token it issues, and prints the receipt.
 */
export async function erase(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const tenant = requiredOption(args, 'tenant');
  const ns = optionalOption(args, 'ns');
  const keys = readSigningKeys(config.dataDir);
  if (!keys) throw new UsageError(`no signing key in ${config.dataDir}: run it where the service's data dir is, or pass --config`);
  const { token, issued } = issueTokenWithRecord(
    { tenant, agent: 'memctl', namespaces: [`audit/${ns ?? '*'}`], ops: ['audit.erase'], ttlMs: TOKEN_TTL_MS },
    keys.secretKey,
  );
  const log = await NatsLog.open(config, quiet, { joinRunning: true });
  try {
    await recordTokenIssued(log.store, issued, 'memctl');
    const h = headers();
    h.set('Authorization', `Bearer ${token}`);
    const body = JSON.stringify({ subject: ns === undefined ? { tenant } : { tenant, ns } });
    const reply = await log.nc.request(operationSubject(config.subjectPrefix, 'audit.erase'), body, { headers: h, timeout: ERASE_TIMEOUT_MS }).catch((e: Error) => {
      throw new UsageError(`no running service answered (${e.message}); an erasure needs the service running`);
    });
    const answer = JSON.parse(reply.string()) as AuditEraseResult & { error?: { code: string; message: string } };
    if (answer.error) throw new UsageError(`${answer.error.code}: ${answer.error.message}`);
    if (args.options.get('json') === true) return console.log(JSON.stringify(answer));
    const rows = Object.values(answer.rows).reduce((sum, n) => sum + n, 0);
    console.log(
      `erased ${ns === undefined ? `tenant ${tenant}` : `${tenant}/${ns}`} at seq ${answer.seq}: ${answer.keys.length} key(s) destroyed, ` +
        `${answer.events.count} event(s) now read as erased, ${rows} read-model row(s) and ${answer.blobs} blob(s) deleted`,
    );
  } finally {
    await log.close();
  }
}
