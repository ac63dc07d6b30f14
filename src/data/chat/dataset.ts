/**
 * JSONL datasets of the alignment stages, one JSON object per line. Every record is checked
 * and a bad one raises FormatError naming the file, the line and the field.
 *
 *   SFT          {"messages": [{"role": "user", "content": ...}, {"role": "assistant", ...}, ...]}
 *                {"prompt": "..." | messages, "response" | "completion": "..."}
 *   preferences  {"prompt": ..., "chosen": "...", "rejected": "...", "margin"?: number}
 *                {"prompt": ..., "responses": ["...", ...], "ranking": [best index, ..., worst]}
 *   prompts      {"prompt": "..." | messages, ...any other fields (kept, e.g. for a gold reward)}
 *
 * A prompt given as a string is one user message. chosen/rejected may also be TRL's
 * conversational form, a list holding one assistant message.
 */
import { readFileSync } from 'node:fs';
import { FormatError, IOError } from '../../core/errors.ts';
import type { ChatMessage } from './template.ts';

export type JsonRecord = Record<string, unknown>;

/** Parsed records with their 1-based line numbers (blank lines skipped). */
export function readJsonl(path: string): { line: number; record: JsonRecord }[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IOError(path, `cannot read: ${(err as Error).message}`, { cause: err });
  }
  const out: { line: number; record: JsonRecord }[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (err) {
      throw new FormatError(path, `line ${i + 1} is not valid JSON: ${(err as Error).message}`, `line ${i + 1}`);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      throw new FormatError(path, `line ${i + 1} must be a JSON object`, `line ${i + 1}`);
    out.push({ line: i + 1, record: v as JsonRecord });
  });
  if (out.length === 0) throw new FormatError(path, 'the file holds no records');
  return out;
}

function where(_file: string, line: number, field: string): string {
  return `line ${line}: ${field}`;
}

export function parseMessages(v: unknown, file: string, line: number, field: string): ChatMessage[] {
  if (!Array.isArray(v) || v.length === 0)
    throw new FormatError(
      file,
      `line ${line}: "${field}" must be a non-empty list of {role, content}`,
      where(file, line, field),
    );
  return v.map((m, i) => {
    const r = m as { role?: unknown; content?: unknown } | null;
    if (r === null || typeof r !== 'object' || typeof r.role !== 'string' || typeof r.content !== 'string') {
      throw new FormatError(
        file,
        `line ${line}: ${field}[${i}] must be {"role": string, "content": string}`,
        where(file, line, `${field}[${i}]`),
      );
    }
    return { role: r.role, content: r.content };
  });
}

/** A prompt: a string (one user message) or a message list. */
export function parsePrompt(v: unknown, file: string, line: number, field = 'prompt'): ChatMessage[] {
  if (typeof v === 'string') return [{ role: 'user', content: v }];
  return parseMessages(v, file, line, field);
}

/** An answer: a string, or TRL's conversational form [{"role": "assistant", "content": ...}]. */
function parseAnswer(v: unknown, file: string, line: number, field: string): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.length === 1) {
    const m = parseMessages(v, file, line, field)[0]!;
    if (m.role === 'assistant') return m.content;
  }
  throw new FormatError(
    file,
    `line ${line}: "${field}" must be a string or [{"role": "assistant", "content": string}]`,
    where(file, line, field),
  );
}

export function readSftJsonl(path: string): ChatMessage[][] {
  return readJsonl(path).map(({ line, record }) => {
    let messages: ChatMessage[];
    if (record['messages'] !== undefined) messages = parseMessages(record['messages'], path, line, 'messages');
    else {
      if (record['prompt'] === undefined)
        throw new FormatError(
          path,
          `line ${line}: needs "messages" or "prompt" + "response"`,
          where(path, line, 'prompt'),
        );
      const answerField = record['response'] !== undefined ? 'response' : 'completion';
      messages = [
        ...parsePrompt(record['prompt'], path, line),
        { role: 'assistant', content: parseAnswer(record[answerField], path, line, answerField) },
      ];
    }
    if (!messages.some((m) => m.role === 'assistant'))
      throw new FormatError(
        path,
        `line ${line}: the conversation has no assistant message to learn`,
        where(path, line, 'messages'),
      );
    return messages;
  });
}

/** Answers to one prompt ordered best first (a pair is K = 2). */
export interface PreferenceGroup {
  prompt: ChatMessage[];
  responses: string[];
  /** Bradley-Terry margin for pairs (TRL's margin column). */
  margin?: number;
}

export function readPreferenceJsonl(path: string): PreferenceGroup[] {
  return readJsonl(path).map(({ line, record }) => {
    const prompt = parsePrompt(record['prompt'], path, line);
    if (record['responses'] !== undefined) {
      const responses = record['responses'];
      const ranking = record['ranking'];
      if (!Array.isArray(responses) || responses.length < 2 || !responses.every((r) => typeof r === 'string')) {
        throw new FormatError(
          path,
          `line ${line}: "responses" must list at least 2 strings`,
          where(path, line, 'responses'),
        );
      }
      const K = responses.length;
      if (
        !Array.isArray(ranking) ||
        ranking.length !== K ||
        new Set(ranking).size !== K ||
        !ranking.every((i) => Number.isInteger(i) && i >= 0 && i < K)
      ) {
        throw new FormatError(
          path,
          `line ${line}: "ranking" must be a permutation of 0..${K - 1} (best first)`,
          where(path, line, 'ranking'),
        );
      }
      return { prompt, responses: (ranking as number[]).map((i) => responses[i] as string) };
    }
    const chosen = parseAnswer(record['chosen'], path, line, 'chosen');
    const rejected = parseAnswer(record['rejected'], path, line, 'rejected');
    const margin = record['margin'];
    if (margin !== undefined && typeof margin !== 'number')
      throw new FormatError(path, `line ${line}: "margin" must be a number`, where(path, line, 'margin'));
    return { prompt, responses: [chosen, rejected], ...(margin !== undefined ? { margin } : {}) };
  });
}

export interface PromptRecord {
  prompt: ChatMessage[];
  /** The record's other fields (a task's gold-reward inputs, ids). */
  meta: JsonRecord;
}

export function readPromptJsonl(path: string): PromptRecord[] {
  return readJsonl(path).map(({ line, record }) => {
    const { prompt, ...meta } = record;
    return { prompt: parsePrompt(prompt, path, line), meta };
  });
}

/** JSONL text of records (the inverse of readJsonl). */
export function toJsonl(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + '\n';
}
