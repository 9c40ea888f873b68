/** Defaults of CONTRACT §3; the service may override them from config. */
export interface Limits {
  maxValueBytes: number;
  defaultListLimit: number;
  maxListLimit: number;
  maxWaitMs: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxValueBytes: 256 * 1024,
  defaultListLimit: 100,
  maxListLimit: 1000,
  maxWaitMs: 30_000,
};

export const NS_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
