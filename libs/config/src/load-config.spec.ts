import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './load-config';

const yamlFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'memsidecar-config-')), 'memsidecar.yaml');
  writeFileSync(file, text);
  return file;
};

describe('config - YAML and environment', () => {
  it('has the contract defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ dataDir: './.memsidecar', subjectPrefix: 'mem', stream: 'MEMSIDECAR' });
    expect(c.natsUrl).toBeUndefined();
    expect(c.databaseUrl).toBeUndefined();
    expect(c.auth.mode).toBe('token');
    expect(c.grpc.addr).toBe('127.0.0.1:7777');
    expect(c.http.addr).toBe('127.0.0.1:8080');
    expect(c.limits.maxValueBytes).toBe(256 * 1024);
  });

  it('reads a YAML file, and environment variables override it', () => {
    const file = yamlFile('subjectPrefix: agents\nauth:\n  mode: none\nlimits:\n  maxValueBytes: 4096\n');
    const c = loadConfig({ MEMSIDECAR_SUBJECT_PREFIX: 'memx', MEMSIDECAR_HTTP_ADDR: '0.0.0.0:9000' }, file);
    expect(c.subjectPrefix).toBe('memx');
    expect(c.auth.mode).toBe('none');
    expect(c.limits.maxValueBytes).toBe(4096);
    expect(c.http.addr).toBe('0.0.0.0:9000');
  });

  it('names every bad or unknown setting', () => {
    const file = yamlFile('subjectPrefix: "a.b"\nauthh: {}\nlimits:\n  maxValueBytes: 3\n');
    let message = '';
    try {
      loadConfig({ MEMSIDECAR_AUTH: 'sometimes' }, file);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      message = (e as Error).message;
    }
    expect(message).toContain('subjectPrefix: must be one subject token');
    expect(message).toContain('authh: unknown setting');
    expect(message).toContain('limits.maxValueBytes');
    expect(message).toContain('auth.mode');
  });

  it('reads JWT keys, issuer and audience from YAML or the environment', () => {
    const file = yamlFile('auth:\n  jwt:\n    publicKeys: ["PEM-A"]\n    issuer: https://idp.example\n');
    expect(loadConfig({}, file).auth.jwt).toMatchObject({ publicKeys: ['PEM-A'], issuer: 'https://idp.example' });
    const c = loadConfig({ MEMSIDECAR_JWT_PUBLIC_KEYS: 'PEM-B, PEM-C', MEMSIDECAR_JWT_AUDIENCE: 'memsidecar' }, file);
    expect(c.auth.jwt).toMatchObject({ publicKeys: ['PEM-B', 'PEM-C'], issuer: 'https://idp.example', audience: 'memsidecar' });
    expect(loadConfig({}).auth.jwt.publicKeys).toEqual([]);
    expect(() => loadConfig({}, yamlFile('auth:\n  jwt:\n    keys: []\n'))).toThrow(/auth.jwt.keys: unknown setting/);
  });

  it('refuses a database URL that is not Postgres and a malformed number', () => {
    expect(() => loadConfig({ MEMSIDECAR_DATABASE_URL: 'mysql://x' })).toThrow(/databaseUrl: must be a postgres:\/\/ URL/);
    expect(() => loadConfig({ MEMSIDECAR_STREAM_REPLICAS: 'three' })).toThrow(/MEMSIDECAR_STREAM_REPLICAS must be a whole number/);
  });

  it('validates the artifact block\'s settings at boot with the rest', () => {
    expect(loadConfig({}).artifact).toEqual({ store: 'jetstream', uploadTtlMs: 3_600_000, gcGraceMs: 600_000, gcIntervalMs: 60_000 });
    expect(loadConfig({ MEMSIDECAR_ARTIFACT_STORE: 'fs:/var/blobs', MEMSIDECAR_ARTIFACT_UPLOAD_TTL_MS: '5000' }).artifact).toMatchObject({ store: 'fs:/var/blobs', uploadTtlMs: 5000 });
    expect(() => loadConfig({ MEMSIDECAR_ARTIFACT_STORE: 's3://bucket' })).toThrow(/artifact.store: must be "jetstream" or "fs:\/absolute\/dir"/);
    expect(() => loadConfig({ MEMSIDECAR_ARTIFACT_GC_GRACE_MS: '0' })).toThrow(/artifact.gcGraceMs/);
  });

  it("reads the graph traversal's maxima from the environment and its defaults from YAML", () => {
    expect(loadConfig({}).graph).toEqual({ defaultDepth: 2, maxDepth: 6, defaultMaxNodes: 100, nodesLimit: 10_000, defaultFanOut: 50, maxFanOut: 1000 });
    expect(loadConfig({ MEMSIDECAR_GRAPH_MAX_DEPTH: '3', MEMSIDECAR_GRAPH_MAX_NODES: '500', MEMSIDECAR_GRAPH_MAX_FAN_OUT: '20' }).graph).toMatchObject({ maxDepth: 3, nodesLimit: 500, maxFanOut: 20 });
    expect(loadConfig({}, yamlFile('graph:\n  defaultDepth: 1\n')).graph.defaultDepth).toBe(1);
    expect(() => loadConfig({ MEMSIDECAR_GRAPH_MAX_DEPTH: '0' })).toThrow(/graph.maxDepth/);
  });

  it('reads tracing settings; OTEL_EXPORTER_OTLP_ENDPOINT counts only where neither the file nor ours says', () => {
    expect(loadConfig({}).tracing).toMatchObject({ exporter: 'none', otlpEndpoint: 'http://127.0.0.1:4318', sampleRatio: 1 });
    const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(loadConfig({ ...otel, MEMSIDECAR_TRACING: 'otlp', MEMSIDECAR_TRACING_SAMPLE_RATIO: '0.25' }).tracing).toMatchObject({
      exporter: 'otlp',
      otlpEndpoint: 'http://collector:4318',
      sampleRatio: 0.25,
    });
    const file = yamlFile('tracing:\n  exporter: stdout\n  otlpEndpoint: http://from-file:4318\n');
    expect(loadConfig(otel, file).tracing.otlpEndpoint).toBe('http://from-file:4318');
    expect(loadConfig({ ...otel, MEMSIDECAR_TRACING_ENDPOINT: 'https://ours:4318' }, file).tracing.otlpEndpoint).toBe('https://ours:4318');
    expect(() => loadConfig({ MEMSIDECAR_TRACING: 'jaeger' })).toThrow(/tracing.exporter/);
    expect(() => loadConfig({ MEMSIDECAR_TRACING_ENDPOINT: 'collector:4318' })).toThrow(/tracing.otlpEndpoint: must be an http:\/\/ or https:\/\/ URL/);
    expect(() => loadConfig({ MEMSIDECAR_TRACING_SAMPLE_RATIO: '1.5' })).toThrow(/tracing.sampleRatio/);
    expect(() => loadConfig({ MEMSIDECAR_TRACING_SAMPLE_RATIO: 'half' })).toThrow(/MEMSIDECAR_TRACING_SAMPLE_RATIO must be a number/);
  });
});
