/**
 * What one `erase` destroys: a tenant (every namespace of it) or one namespace of a tenant. Each
 * event's payload is sealed with the key of its tenant and namespace, so destroying the keys of a
 * subject makes every payload of it unreadable wherever a copy of the log went.
 */
export interface ErasureSubject {
  tenant: string;
  /** Absent: the whole tenant. */
  ns?: string;
}

/** Whether an event of `tenant`/`ns` belongs to the subject. */
export const coversNamespace = (subject: ErasureSubject, tenant: string, ns: string): boolean =>
  subject.tenant === tenant && (subject.ns === undefined || subject.ns === ns);

export const describeSubject = (s: ErasureSubject): string => (s.ns === undefined ? `tenant ${s.tenant}` : `namespace ${s.tenant}/${s.ns}`);
