import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import type { MemsidecarConfig } from '@memsidecar/config';
import { NatsLog } from '@memsidecar/platform';
import { UsageError, optionalOption, parseTime, requiredOption, type ParsedArgs } from '../args';
import { quiet } from './projections';

/** Lines gather up to this size before one write; with --follow they are also written every FLUSH_MS. */
const BUFFER_BYTES = 1 << 20;
const FLUSH_MS = 200;
const TAIL_CHUNK = 64 * 1024;

/**
 * `memctl log export --out FILE [--since T | --from-seq N] [--follow]`: the log as JSON lines, one
 * stored envelope (with its `seq`) per line, oldest first. An existing FILE is continued after its
 * last complete line, so an interrupted export resumes with no gap and no duplicate.
 */
export async function exportLog(config: MemsidecarConfig, args: ParsedArgs): Promise<void> {
  const out = requiredOption(args, 'out');
  const follow = args.options.has('follow');
  const start = requestedStart(args);
  const resumeAfter = lastExportedSeq(out);
  if (resumeAfter !== null) {
    const ignored = start.since || start.fromSeq ? ' (--since/--from-seq ignored)' : '';
    console.error(`memctl: ${out} ends at seq ${resumeAfter}; continuing after it${ignored}`);
  }

  const log = await NatsLog.open(config, quiet, { joinRunning: true });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const file = new LineFile(out);
  const flusher = follow ? setInterval(() => file.flush(), FLUSH_MS) : null;
  let written = 0;
  let lastSeq = resumeAfter;
  try {
    const from = resumeAfter !== null ? { fromSeq: resumeAfter + 1 } : start;
    for await (const event of log.store.read({ ...from, follow, signal: stop.signal })) {
      file.append(`${JSON.stringify(event)}\n`);
      written++;
      lastSeq = event.seq;
    }
  } finally {
    if (flusher) clearInterval(flusher);
    file.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await log.close();
  }
  console.error(`memctl: wrote ${written} events to ${out}; last seq ${lastSeq ?? 'none'}`);
}

function requestedStart(args: ParsedArgs): { since?: Date; fromSeq?: number } {
  const since = optionalOption(args, 'since');
  const fromSeq = optionalOption(args, 'from-seq');
  if (since !== undefined && fromSeq !== undefined) throw new UsageError('--since and --from-seq exclude each other');
  if (fromSeq !== undefined) {
    if (!/^[1-9]\d*$/.test(fromSeq)) throw new UsageError('--from-seq: must be a positive integer');
    return { fromSeq: Number(fromSeq) };
  }
  return since !== undefined ? { since: parseTime(since, 'since') } : {};
}

/**
 * The `seq` of the file's last complete line, or null for a missing or empty file. A torn last line
 * (an export killed mid-write) is cut off first.
 */
function lastExportedSeq(path: string): number | null {
  if (!existsSync(path)) return null;
  const fd = openSync(path, 'r+');
  try {
    let size = fstatSync(fd).size;
    const lastNewline = newlineBefore(fd, size);
    if (lastNewline !== size - 1) {
      const complete = lastNewline + 1;
      console.error(`memctl: ${path}: cut off a torn last line (${size - complete} bytes)`);
      ftruncateSync(fd, complete);
      size = complete;
    }
    if (size === 0) return null;
    const lineStart = newlineBefore(fd, size - 1) + 1;
    const line = Buffer.alloc(size - 1 - lineStart);
    readSync(fd, line, 0, line.length, lineStart);
    const seq = (() => {
      try {
        return (JSON.parse(line.toString('utf8')) as { seq?: unknown }).seq;
      } catch {
        return undefined;
      }
    })();
    if (typeof seq !== 'number') throw new UsageError(`--out: the last line of ${path} is not an exported event`);
    return seq;
  } finally {
    closeSync(fd);
  }
}

/** Offset of the last newline before `end`, or -1 when there is none. */
function newlineBefore(fd: number, end: number): number {
  const chunk = Buffer.alloc(TAIL_CHUNK);
  for (let to = end; to > 0; ) {
    const from = Math.max(0, to - TAIL_CHUNK);
    readSync(fd, chunk, 0, to - from, from);
    const at = chunk.subarray(0, to - from).lastIndexOf(0x0a);
    if (at >= 0) return from + at;
    to = from;
  }
  return -1;
}

/** Appends whole lines, buffered: a write never ends inside a line unless the process dies in it. */
class LineFile {
  private readonly fd: number;
  private pending: string[] = [];
  private pendingBytes = 0;

  constructor(path: string) {
    this.fd = openSync(path, 'a');
  }

  append(line: string): void {
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (this.pendingBytes >= BUFFER_BYTES) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    for (let offset = 0; offset < bytes.length; ) offset += writeSync(this.fd, bytes, offset);
  }

  close(): void {
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
  }
}
