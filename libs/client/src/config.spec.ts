import { describe, expect, it } from 'vitest';
import { parseClientConfig } from './config';
import { ClientConfigError } from './errors';

/** A logger that keeps what it was told. */
const recorder = () => {
  const warnings: string[] = [];
  return { warnings, logger: { warn: (message: string) => warnings.push(message) } };
};

const refusal = (input: unknown): ClientConfigError => {
  try {
    parseClientConfig(input, recorder().logger);
  } catch (e) {
    expect(e).toBeInstanceOf(ClientConfigError);
    return e as ClientConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
};

describe('client config - defaults', () => {
  it('has the documented defaults and says nothing', () => {
    const { warnings, logger } = recorder();
    for (const input of [undefined, {}, { session: {}, retryPolicy: {} }]) {
      expect(parseClientConfig(input, logger)).toEqual({
        natsUrl: undefined,
        token: undefined,
        subjectPrefix: 'mem',
        requestTimeoutMs: 10_000,
        session: { heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 25_000, onOrphan: 'checkpoint_and_close' },
        retryPolicy: { maxRetries: 3, baseDelayMs: 200, capDelayMs: 30_000, jitterFactor: 0.25 },
        transactionLog: undefined,
        requestRetentionMs: 7 * 24 * 3_600_000,
      });
    }
    expect(warnings).toEqual([]);
  });

  it('keeps what is given', () => {
    const c = parseClientConfig(
      {
        natsUrl: 'nats://a:4222,nats://b:4222',
        token: 't',
        subjectPrefix: 'agents',
        requestTimeoutMs: 2_000,
        session: { heartbeatIntervalS: 2, heartbeatTimeoutS: 5, onOrphan: 'abort_quietly' },
        retryPolicy: { maxRetries: 0, baseDelayMs: 50, capDelayS: 1.5, jitterFactor: 0 },
        transactionLog: '/tmp/outbox.jsonl',
      },
      recorder().logger,
    );
    expect(c).toMatchObject({
      natsUrl: 'nats://a:4222,nats://b:4222',
      subjectPrefix: 'agents',
      session: { heartbeatIntervalMs: 2_000, heartbeatTimeoutMs: 5_000, onOrphan: 'abort_quietly' },
      retryPolicy: { maxRetries: 0, baseDelayMs: 50, capDelayMs: 1_500, jitterFactor: 0 },
      transactionLog: '/tmp/outbox.jsonl',
    });
  });
});

describe('client config - clamps', () => {
  it('lowers maxRetries 7 to 5 with exactly one warning', () => {
    const { warnings, logger } = recorder();
    expect(parseClientConfig({ retryPolicy: { maxRetries: 7 } }, logger).retryPolicy.maxRetries).toBe(5);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('retryPolicy.maxRetries');
  });

  it('lowers capDelayS 60 to 30 with exactly one warning', () => {
    const { warnings, logger } = recorder();
    expect(parseClientConfig({ retryPolicy: { capDelayS: 60 } }, logger).retryPolicy.capDelayMs).toBe(30_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('retryPolicy.capDelayS');
  });

  it('warns once per clamped setting when both are over', () => {
    const { warnings, logger } = recorder();
    const { retryPolicy } = parseClientConfig({ retryPolicy: { maxRetries: 7, capDelayS: 60 } }, logger);
    expect(retryPolicy).toMatchObject({ maxRetries: 5, capDelayMs: 30_000 });
    expect(warnings).toHaveLength(2);
    expect(warnings.filter((w) => w.includes('maxRetries'))).toHaveLength(1);
    expect(warnings.filter((w) => w.includes('capDelayS'))).toHaveLength(1);
  });

  it('leaves values at the clamp alone', () => {
    const { warnings, logger } = recorder();
    expect(parseClientConfig({ retryPolicy: { maxRetries: 5, capDelayS: 30 } }, logger).retryPolicy).toMatchObject({ maxRetries: 5, capDelayMs: 30_000 });
    expect(warnings).toEqual([]);
  });
});

describe('client config - deprecated session.timeoutMs', () => {
  it('is honoured as the heartbeat timeout, with one warning naming session.heartbeatTimeoutS', () => {
    const { warnings, logger } = recorder();
    expect(parseClientConfig({ session: { timeoutMs: 40_000 } }, logger).session.heartbeatTimeoutMs).toBe(40_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('session.timeoutMs');
    expect(warnings[0]).toContain('session.heartbeatTimeoutS');
  });

  it('loses to heartbeatTimeoutS when both are given, still with one warning', () => {
    const { warnings, logger } = recorder();
    expect(parseClientConfig({ session: { timeoutMs: 40_000, heartbeatTimeoutS: 60 } }, logger).session.heartbeatTimeoutMs).toBe(60_000);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('session.heartbeatTimeoutS');
  });

  it('must still exceed the heartbeat interval', () => {
    expect(refusal({ session: { timeoutMs: 10_000 } }).message).toContain('session.heartbeatTimeoutS');
  });
});

describe('client config - refusals', () => {
  it('names a misspelled session key', () => {
    expect(refusal({ session: { on_orhpan: 'abort_quietly' } }).message).toContain('session.on_orhpan');
  });

  it('names an unknown top-level key', () => {
    expect(refusal({ retry_policy: { maxRetries: 2 } }).message).toContain('retry_policy');
  });

  it('names an unknown retry key', () => {
    expect(refusal({ retryPolicy: { max_retries: 2 } }).message).toContain('retryPolicy.max_retries');
  });

  it('names a bad value', () => {
    expect(refusal({ session: { onOrphan: 'sometimes' } }).message).toContain('session.onOrphan');
    expect(refusal({ retryPolicy: { jitterFactor: 2 } }).message).toContain('retryPolicy.jitterFactor');
    expect(refusal({ subjectPrefix: 'a.b' }).message).toContain('subjectPrefix');
  });

  it('refuses a heartbeat timeout at or under the interval', () => {
    expect(refusal({ session: { heartbeatIntervalS: 10, heartbeatTimeoutS: 10 } }).message).toContain('heartbeatTimeoutS');
    expect(refusal({ session: { heartbeatIntervalS: 10, heartbeatTimeoutS: 5 } }).message).toContain('heartbeatTimeoutS');
    expect(refusal({ session: { heartbeatIntervalS: 30 } }).message).toContain('heartbeatTimeoutS');
  });
});
