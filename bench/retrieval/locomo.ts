import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** One dialogue turn as the service stores it. */
export interface Turn {
  id: string;
  content: string;
}

export interface Question {
  conversation: string;
  namespace: string;
  text: string;
  category: number;
  /** Record ids of the evidence turns: normalised, de-duplicated, each naming a turn of the conversation. */
  evidence: string[];
}

export interface Conversation {
  name: string;
  namespace: string;
  turns: Turn[];
  questions: Question[];
}

export interface LocomoSplit {
  conversations: Conversation[];
  /** Evidence ids rewritten to the `D<session>:<turn>` form ("D:11:26", "D30:05", "D8:6; D9:17"). */
  evidenceRewritten: number;
  /** Evidence ids that name no turn of their conversation ("D", or a turn the transcript lacks). */
  evidenceDropped: string[];
  /** Scorable categories whose questions have no evidence left: no ranking can find anything for them. */
  questionsWithoutEvidence: number;
}

interface RawTurn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}

interface RawSample {
  sample_id: string;
  conversation: Record<string, unknown>;
  qa: { question: string; evidence?: string[]; category: number }[];
}

const LOCOMO_FILE = 'locomo-dev.json';
/** Category 5 is adversarial: its questions have no answer in the conversation. */
const SCORED_CATEGORIES = new Set([1, 2, 3, 4]);

/** The checkout: the nearest directory above this module with a package.json (bench/ in source, dist/bench/ when built). */
function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  return process.cwd();
}

export const locomoFile = (): string => join(process.env.LOCOMO_DIR ?? resolve(repoRoot(), '../shared/data/locomo-dev'), LOCOMO_FILE);

/** Record ids must match the service's [A-Za-z0-9_.:-]{1,128}; dialogue ids such as "D1:3" already do. */
export const recordId = (diaId: string): string => diaId.replace(/[^A-Za-z0-9_.:-]/g, '_').slice(0, 128);

const turnContent = (t: RawTurn): string => `${t.speaker}: ${t.text}${t.blip_caption ? ` [shares ${t.blip_caption}]` : ''}`;

function sessionTurns(conversation: Record<string, unknown>): RawTurn[] {
  return Object.keys(conversation)
    .map((key) => /^session_(\d+)$/.exec(key))
    .filter((m): m is RegExpExecArray => m !== null && Array.isArray(conversation[m[0]]))
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .flatMap((m) => conversation[m[0]] as RawTurn[]);
}

/** "D8:6; D9:17" → D8:6, D9:17; "D:11:26" → D11:26; "D30:05" → D30:5; "D" → nothing. */
function parseEvidence(raw: string): string[] {
  return raw
    .split(/[;,\s]+/)
    .map((part) => /^D:?(\d+):(\d+)$/.exec(part.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => `D${Number(m[1])}:${Number(m[2])}`);
}

/** The evidence turns a question names, how many of its ids had to be rewritten, and the ids that name no turn. */
function resolveEvidence(ids: string[], diaIds: Set<string>): { evidence: string[]; rewritten: number; dropped: string[] } {
  const evidence = new Set<string>();
  const dropped: string[] = [];
  let rewritten = 0;
  for (const id of ids) {
    const parsed = parseEvidence(id);
    if (parsed.length === 0) dropped.push(id);
    else if (parsed.length > 1 || parsed[0] !== id) rewritten++;
    for (const p of parsed) {
      if (diaIds.has(p)) evidence.add(p);
      else dropped.push(p);
    }
  }
  return { evidence: [...evidence], rewritten, dropped };
}

/** The split as the protocol reads it, or null when the file is not there. `only` picks conversations by sample id. */
export function loadLocomo(only?: string[]): LocomoSplit | null {
  const file = locomoFile();
  if (!existsSync(file)) return null;
  const samples = JSON.parse(readFileSync(file, 'utf8')) as RawSample[];
  const unknown = (only ?? []).filter((name) => !samples.some((s) => s.sample_id === name));
  if (unknown.length > 0) throw new Error(`no conversation ${unknown.join(', ')} in ${file}; have ${samples.map((s) => s.sample_id).join(', ')}`);

  const split: LocomoSplit = { conversations: [], evidenceRewritten: 0, evidenceDropped: [], questionsWithoutEvidence: 0 };
  for (const sample of samples.filter((s) => !only || only.includes(s.sample_id))) {
    const namespace = `locomo-${recordId(sample.sample_id)}`;
    const raw = sessionTurns(sample.conversation);
    const turns = raw.map((t) => ({ id: recordId(t.dia_id), content: turnContent(t) }));
    const diaIds = new Set(raw.map((t) => t.dia_id));
    const questions: Question[] = [];
    for (const qa of sample.qa.filter((q) => SCORED_CATEGORIES.has(q.category))) {
      const { evidence, rewritten, dropped } = resolveEvidence(qa.evidence ?? [], diaIds);
      split.evidenceRewritten += rewritten;
      split.evidenceDropped.push(...dropped.map((id) => `${sample.sample_id} ${JSON.stringify(id)}`));
      if (evidence.length === 0) split.questionsWithoutEvidence++;
      else questions.push({ conversation: sample.sample_id, namespace, text: qa.question, category: qa.category, evidence: evidence.map(recordId) });
    }
    split.conversations.push({ name: sample.sample_id, namespace, turns, questions });
  }
  return split;
}
