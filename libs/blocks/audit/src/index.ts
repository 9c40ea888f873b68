export * from './audit.dto';
export * from './audit-entry.entity';
export * from './audit.projection';
export * from './audit.queries';
export * from './audit.operations';
export { AuditLog1763769600800 } from './migrations/1763769600800-audit-log';
export * from './audit.block';
