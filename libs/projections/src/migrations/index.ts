import { ProjectionBookkeeping1763769600000 } from './1763769600000-projection-bookkeeping';
import { ProjectionErrors1764806400000 } from './1764806400000-projection-errors';

/** The tables every read-model database has besides the read models: checkpoints, the request ledger, parked events. */
export const BOOKKEEPING_MIGRATIONS = [ProjectionBookkeeping1763769600000, ProjectionErrors1764806400000];
