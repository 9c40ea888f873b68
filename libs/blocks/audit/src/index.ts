export * from './audit.dto';
export * from './audit.replies';
export * from './audit-entry.entity';
export * from './audit.projection';
export * from './audit.queries';
export * from './audit.operations';
export * from './audit.block';
