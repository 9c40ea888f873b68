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
