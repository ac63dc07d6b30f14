/**
 * Continuous batching (iteration-level scheduling, as in Orca and vLLM). Every step is one
 * forward pass over a mixed batch: each running sequence that is decoding contributes its
 * newest token, and sequences still reading their prompt contribute a chunk of it (chunked
 * prefill) within a per-step token budget, so a long prompt never stalls the running streams
 * for more than one budget's worth of work. Requests join at the next step when a batch slot and
 * KV pages are free, and leave the step they finish (or are cancelled), their pages back in the
 * pool at once.
 *
 * Memory: the KV cache is a fixed pool of pages (kv-pages.ts). A sequence is admitted with pages
 * for everything it has to read; decoding takes one more page every pageSize tokens. When none is
 * free, the most recently admitted sequence is preempted: its pages are freed and it goes back to
 * the front of the queue, to be recomputed (prompt and output so far) when memory allows, as
 * vLLM's recompute preemption. Because a sequence's logits do not depend on the batch around it
 * or on how its prefill was chunked (see docs/serve.md), preemption changes no output.
 *
 * The loop runs on the event loop: one step, then setImmediate, so HTTP input and output (new
 * requests, disconnects, stream writes) are handled between steps.
 */
import { ArgumentError } from '../core/errors.ts';
import { Generator } from '../core/random.ts';
import { pagesFor, PageAllocator } from './kv-pages.ts';
import { TokenChooser, type SamplingParams } from './sampling.ts';
import type { StepModel } from './step-model.ts';
import { TextOutput } from './text-output.ts';
import type { DecodeFn } from '../tokenizers/stream-decoder.ts';

export type FinishReason = 'stop' | 'length';
export type CancelReason = 'disconnect' | 'timeout' | 'shutdown';

export interface TokenInfo {
  id: number;
  logprob: number | null;
  top: { id: number; logprob: number }[] | null;
}

/** New output of one choice: released text, the tokens it completes, and why it ended (last event). */
export interface SequenceEvent {
  index: number;
  text: string;
  tokens: TokenInfo[];
  /** Where each token's text starts in this choice's output text. */
  offsets: number[];
  finishReason: FinishReason | null;
}

export interface JobSpec {
  prompt: readonly number[];
  /** Choices (independent sequences continuing the prompt). */
  n: number;
  maxTokens: number;
  sampling: SamplingParams;
  /** Seeds choice i's stream with seed + i; null: a random seed. */
  seed: number | null;
  stop: readonly string[];
  /** Tokens that end a choice (EOS); not part of the text. */
  stopTokenIds: readonly number[];
  onEvent(event: SequenceEvent): void;
  onDone(usage: { promptTokens: number; completionTokens: number }): void;
  /** The step that ran this job failed (the job is over). */
  onError(error: Error): void;
}

export interface SchedulerOptions {
  /** Sequences decoded together at most (batch slots). */
  maxBatch: number;
  /** Sequences waiting for a slot at most; more are refused (HTTP 429). */
  maxQueue: number;
  /** Tokens in one forward pass at most (decode tokens + prefill chunks). */
  maxStepTokens: number;
  /** Turns output ids into text. */
  decode: DecodeFn;
}

/** Timing and volume callbacks (the Prometheus metrics implement them). */
export interface SchedulerObserver {
  firstToken?(seconds: number): void;
  interToken?(seconds: number): void;
  stepDone?(info: { seconds: number; sequences: number; tokens: number; prefillTokens: number }): void;
  generated?(tokens: number): void;
  preempted?(): void;
  cancelled?(reason: CancelReason): void;
}

/** The queue is full (a server state, not bad input: HTTP 429). */
export class QueueFullError extends Error {
  constructor(readonly waiting: number) {
    super(`the server is busy: ${waiting} sequences are already waiting for a batch slot; retry later`);
    this.name = 'QueueFullError';
  }
}

class Sequence {
  /** Prompt, then the output tokens. */
  readonly full: number[];
  /** Positions whose keys and values are in the cache. */
  computed = 0;
  readonly pages: number[] = [];
  lastTokenAt = 0;
  done = false;
  readonly chooser: TokenChooser;
  readonly output: TextOutput<TokenInfo>;

  constructor(
    readonly job: Job,
    readonly index: number,
    rng: Generator,
    vocabSize: number,
    decode: DecodeFn,
  ) {
    this.full = [...job.spec.prompt];
    this.chooser = new TokenChooser(job.spec.sampling, vocabSize, rng);
    this.output = new TextOutput<TokenInfo>(decode, job.spec.stop);
  }

  get generated(): number {
    return this.full.length - this.job.spec.prompt.length;
  }
}

/** A request in the scheduler; cancel() stops it and frees its memory at once. */
export class Job {
  readonly sequences: Sequence[] = [];
  readonly arrival = performance.now();
  completionTokens = 0;
  private open: number;
  finished = false;

  constructor(
    readonly spec: JobSpec,
    private readonly scheduler: Scheduler,
  ) {
    this.open = spec.n;
  }

  cancel(reason: CancelReason): void {
    if (this.finished) return;
    this.finished = true;
    this.scheduler.remove(this, reason);
  }

  /** A sequence ended; true when it was the last. */
  sequenceDone(): boolean {
    this.open--;
    if (this.open > 0) return false;
    this.finished = true;
    return true;
  }
}

interface Feed {
  seq: Sequence;
  from: number;
  to: number;
}

export class Scheduler {
  private readonly waiting: Sequence[] = [];
  private readonly running: Sequence[] = [];
  readonly pages: PageAllocator;
  private timer: NodeJS.Immediate | null = null;
  private idleWaiters: (() => void)[] = [];
  /** Pages kept free at admission so running sequences can grow without preempting at once. */
  private readonly watermark: number;
  steps = 0;

  constructor(
    readonly model: StepModel,
    readonly options: SchedulerOptions,
    readonly observer: SchedulerObserver = {},
  ) {
    const { maxBatch, maxQueue, maxStepTokens } = options;
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new ArgumentError('max_batch', `must be >= 1, got ${maxBatch}`);
    if (!Number.isInteger(maxQueue) || maxQueue < 0)
      throw new ArgumentError('max_queue', `must be >= 0, got ${maxQueue}`);
    if (!Number.isInteger(maxStepTokens) || maxStepTokens < maxBatch)
      throw new ArgumentError('max_step_tokens', `must be an integer >= max_batch (${maxBatch}), got ${maxStepTokens}`);
    this.pages = new PageAllocator(model.numPages);
    this.watermark = Math.ceil(model.numPages * 0.01);
  }

  /** Sequences waiting for a batch slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Sequences in the running batch. */
  get active(): number {
    return this.running.length;
  }

  /** Positions a request may occupy at most (prompt + output): the context window, and the KV pool. */
  get maxSequenceLength(): number {
    return Math.min(this.model.maxPositions, this.model.numPages * this.model.pageSize);
  }

  /** Queues a request; throws QueueFullError when the queue is full. */
  submit(spec: JobSpec): Job {
    if (spec.prompt.length === 0) throw new ArgumentError('prompt', 'is empty');
    if (spec.prompt.length + spec.maxTokens > this.maxSequenceLength)
      throw new ArgumentError(
        'max_tokens',
        `prompt (${spec.prompt.length}) + max_tokens (${spec.maxTokens}) exceeds ${this.maxSequenceLength} positions`,
      );
    if (this.waiting.length + spec.n > this.options.maxQueue + Math.max(0, this.options.maxBatch - this.running.length))
      throw new QueueFullError(this.waiting.length);
    const job = new Job(spec, this);
    const base = spec.seed ?? Math.floor(Math.random() * 2 ** 31);
    for (let i = 0; i < spec.n; i++) {
      const seq = new Sequence(job, i, new Generator(base + i), this.model.vocabSize, this.options.decode);
      job.sequences.push(seq);
      this.waiting.push(seq);
    }
    this.kick();
    return job;
  }

  /** Resolves when nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (this.waiting.length === 0 && this.running.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels every job (shutdown). */
  cancelAll(reason: CancelReason): void {
    const jobs = new Set([...this.waiting, ...this.running].map((s) => s.job));
    for (const j of jobs) j.cancel(reason);
  }

  /** Drops a job's sequences from the queue and the batch; their pages are free at once. */
  remove(job: Job, reason: CancelReason): void {
    let any = false;
    for (const seq of job.sequences) {
      if (seq.done) continue;
      seq.done = true;
      any = true;
      this.drop(seq);
    }
    if (any) this.observer.cancelled?.(reason);
    this.settle();
  }

  private drop(seq: Sequence): void {
    this.pages.release(seq.pages);
    const w = this.waiting.indexOf(seq);
    if (w >= 0) this.waiting.splice(w, 1);
    const r = this.running.indexOf(seq);
    if (r >= 0) this.running.splice(r, 1);
  }

  private kick(): void {
    if (this.timer !== null || (this.waiting.length === 0 && this.running.length === 0)) return;
    this.timer = setImmediate(() => {
      this.timer = null;
      this.step();
      this.kick();
      this.settle();
    });
  }

  private settle(): void {
    if (this.waiting.length > 0 || this.running.length > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of w) resolve();
  }

  /** Moves waiting sequences into the batch while slots and pages allow. */
  private admit(): void {
    while (this.waiting.length > 0 && this.running.length < this.options.maxBatch) {
      const seq = this.waiting[0]!;
      const need = pagesFor(seq.full.length, this.model.pageSize) - seq.pages.length;
      const reserve = this.running.length > 0 ? this.watermark : 0;
      if (this.pages.freeCount - need < reserve || !this.pages.grow(seq.pages, need)) break;
      this.waiting.shift();
      this.running.push(seq);
    }
  }

  /** Pages for `positions` positions of seq, preempting the newest sequences if needed; false if seq itself was. */
  private ensurePages(seq: Sequence, positions: number): boolean {
    const need = pagesFor(positions, this.model.pageSize) - seq.pages.length;
    if (need <= 0) return true;
    while (!this.pages.grow(seq.pages, need)) {
      const victim = this.running[this.running.length - 1]!;
      this.preempt(victim);
      if (victim === seq) return false;
    }
    return true;
  }

  private preempt(seq: Sequence): void {
    this.pages.release(seq.pages);
    seq.computed = 0;
    this.running.splice(this.running.indexOf(seq), 1);
    this.waiting.unshift(seq);
    this.observer.preempted?.();
  }

  /** Decode tokens first (one per decoding sequence), then prefill chunks in admission order. */
  private plan(): Feed[] {
    const feeds: Feed[] = [];
    let budget = this.options.maxStepTokens;
    for (const seq of [...this.running]) {
      if (seq.computed !== seq.full.length - 1 || !this.running.includes(seq)) continue;
      if (!this.ensurePages(seq, seq.full.length)) continue;
      feeds.push({ seq, from: seq.computed, to: seq.full.length });
      budget--;
    }
    for (const seq of this.running) {
      if (budget <= 0) break;
      if (seq.computed >= seq.full.length - 1) continue;
      const to = Math.min(seq.full.length, seq.computed + budget);
      feeds.push({ seq, from: seq.computed, to });
      budget -= to - seq.computed;
    }
    return feeds;
  }

  private step(): void {
    this.admit();
    const feeds = this.plan();
    if (feeds.length === 0) return;
    const t0 = performance.now();
    const N = feeds.reduce((n, f) => n + f.to - f.from, 0);
    const ids = new Int32Array(N);
    const positions = new Int32Array(N);
    const tokenRow = new Int32Array(N);
    const slots = new Int32Array(N);
    const P = this.model.pageSize;
    const pagesPerRow = feeds.reduce((m, f) => Math.max(m, f.seq.pages.length), 1);
    const pageTable = new Int32Array(feeds.length * pagesPerRow);
    const logitRows: number[] = [];
    const sampling: Feed[] = [];
    let n = 0;
    feeds.forEach((f, r) => {
      pageTable.set(f.seq.pages, r * pagesPerRow);
      for (let p = f.from; p < f.to; p++, n++) {
        ids[n] = f.seq.full[p]!;
        positions[n] = p;
        tokenRow[n] = r;
        slots[n] = f.seq.pages[Math.floor(p / P)]! * P + (p % P);
      }
      if (f.to === f.seq.full.length) {
        logitRows.push(n - 1);
        sampling.push(f);
      }
    });
    let logits: Float32Array;
    try {
      logits = this.model.forward({
        ids,
        positions,
        step: { pageTable, pagesPerRow, tokenRow, tokenPos: positions, slots },
        logitRows: Int32Array.from(logitRows),
      });
    } catch (err) {
      this.fail(feeds, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.steps++;
    for (const f of feeds) f.seq.computed = f.to;
    const V = this.model.vocabSize;
    sampling.forEach((f, i) => this.advance(f.seq, logits.subarray(i * V, (i + 1) * V)));
    this.observer.stepDone?.({
      seconds: (performance.now() - t0) / 1000,
      sequences: feeds.length,
      tokens: N,
      prefillTokens: N - feeds.filter((f) => f.to - f.from === 1 && f.seq.generated > 0).length,
    });
  }

  /** Chooses seq's next token, streams what it releases, and ends the sequence when it is done. */
  private advance(seq: Sequence, logits: Float32Array): void {
    const job = seq.job;
    const spec = job.spec;
    let chosen;
    try {
      chosen = seq.chooser.choose(logits, seq.full, spec.prompt.length);
    } catch (err) {
      // a request whose processors reject every token (e.g. logit_bias banning all) fails alone
      this.fail([{ seq, from: 0, to: 0 }], err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const now = performance.now();
    if (seq.generated === 0) this.observer.firstToken?.((now - job.arrival) / 1000);
    else this.observer.interToken?.((now - seq.lastTokenAt) / 1000);
    seq.lastTokenAt = now;
    seq.full.push(chosen.id);
    job.completionTokens++;
    this.observer.generated?.(1);
    let finish: FinishReason | null = null;
    let text = '';
    let tokens: TokenInfo[] = [];
    let offsets: number[] = [];
    if (spec.stopTokenIds.includes(chosen.id)) {
      finish = 'stop';
    } else {
      const r = seq.output.push(chosen.id, chosen);
      text = r.text;
      tokens = r.tokens;
      offsets = r.offsets;
      if (seq.output.stopped) finish = 'stop';
      else if (seq.generated >= spec.maxTokens || seq.full.length >= this.maxSequenceLength) finish = 'length';
    }
    if (finish !== null && !seq.output.stopped) {
      const rest = seq.output.finish();
      text += rest.text;
      tokens = tokens.concat(rest.tokens);
      offsets = offsets.concat(rest.offsets);
    }
    if (finish !== null) {
      seq.done = true;
      this.drop(seq);
    }
    if (text !== '' || tokens.length > 0 || finish !== null)
      spec.onEvent({ index: seq.index, text, tokens, offsets, finishReason: finish });
    if (finish !== null && job.sequenceDone())
      spec.onDone({ promptTokens: spec.prompt.length, completionTokens: job.completionTokens });
  }

  private fail(feeds: Feed[], err: Error): void {
    const jobs = new Set(feeds.map((f) => f.seq.job));
    for (const job of jobs) {
      if (job.finished) continue;
      job.finished = true;
      for (const seq of job.sequences) {
        if (seq.done) continue;
        seq.done = true;
        this.drop(seq);
      }
      job.spec.onError(err);
    }
  }
}
