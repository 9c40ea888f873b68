/** Vectors travel in events as base64 float32: compact, and a replay reads back the same bits. */
export const encodeVector = (v: number[]): string => Buffer.from(Float32Array.from(v).buffer).toString('base64');

export function decodeVector(b64: string): number[] {
  const bytes = Buffer.from(b64, 'base64');
  return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
}

export function normalize(v: number[]): number[] {
  const norm = Math.hypot(...v);
  return norm === 0 ? v.map(() => 0) : v.map((x) => x / norm);
}

/**
 * A `real[]` query parameter in Postgres' binary array format (node-postgres sends a Buffer as
 * binary): no decimal text to format and parse, and each value arrives as the same float32 the
 * text form would round to. The statement must cast the parameter (`$n::real[]`).
 */
export function float4ArrayParam(v: number[]): Buffer {
  const FLOAT4_OID = 700;
  const b = Buffer.allocUnsafe(20 + v.length * 8);
  b.writeInt32BE(1, 0); // dimensions
  b.writeInt32BE(0, 4); // no nulls
  b.writeInt32BE(FLOAT4_OID, 8);
  b.writeInt32BE(v.length, 12);
  b.writeInt32BE(1, 16); // lower bound
  for (let i = 0, at = 20; i < v.length; i++, at += 8) {
    b.writeInt32BE(4, at);
    b.writeFloatBE(v[i], at + 4);
  }
  return b;
}
