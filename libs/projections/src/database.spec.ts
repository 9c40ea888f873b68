import { describe, expect, it } from 'vitest';
import { asUnavailable } from './database';

describe('database - unreachable storage', () => {
  it('turns connection failures into UNAVAILABLE and leaves other errors alone', () => {
    for (const e of [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }), Object.assign(new Error('terminating connection'), { code: '57P01' }), new Error('Connection terminated unexpectedly')]) {
      expect(asUnavailable(e)).toMatchObject({ code: 'UNAVAILABLE' });
    }
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    expect(asUnavailable(syntax)).toBe(syntax);
  });
});
