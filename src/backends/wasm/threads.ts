/**
 * Worker threads for the wasm kernels. Each worker instantiates the same compiled module on
 * the same shared memory, moves its stack to a block of the heap, and calls
 * llmts_worker_main(id), which runs the pool's jobs until the pool shrinks below id
 * (native/src/wasm/pool.c). Node: worker_threads; a page: Web Workers, only when it is
 * cross-origin isolated (a shared memory can be posted to a worker only then); otherwise one
 * thread. Workers start asynchronously; until they have, the calling thread runs their share
 * (results never depend on which thread ran a task).
 */
import { BackendError } from '../../core/errors.ts';
import type { PlatformWorker } from '../../core/platform.ts';
import { sharedMemoryThreads, startWorker, warnLine } from '../../core/platform.ts';
import type { WasmRuntime } from './runtime.ts';

/** Stack of each worker (the kernels keep small tiles and pointer arrays on the stack). */
const STACK_BYTES = 1 << 20;

/**
 * The worker's code (runs in a fresh JS context: it may use nothing from this module). The
 * host imports must be the ones of runtime.ts's hostImports.
 */
const WORKER_BODY = `(post, listen) => {
  listen((msg) => {
    const { module, memory, id, stackTop } = msg;
    const abort = () => { throw new Error('llmts wasm: a kernel aborted on a worker thread'); };
    const env = { memory, exp: Math.exp, log: Math.log, pow: Math.pow, sin: Math.sin, cos: Math.cos,
      now: () => performance.now(), abort };
    const x = new WebAssembly.Instance(module, { env }).exports;
    x.llmts_set_stack(stackTop);
    post({ started: id });
    for (;;) {
      try {
        x.llmts_worker_main(id);
        break;
      } catch (err) {
        x.llmts_worker_abandon(id);
        post({ failed: id, message: String((err && err.message) || err) });
      }
    }
    post({ exited: id });
  });
}`;

interface Slot {
  worker: PlatformWorker;
  stack: number;
  started: boolean;
}

interface WorkerMessage {
  started?: number;
  exited?: number;
  failed?: number;
  message?: string;
}

export class WasmThreads {
  private readonly slots: (Slot | undefined)[] = [];
  private waiters: (() => void)[] = [];
  /** Whether this host lets worker threads share the memory. */
  readonly available: boolean;

  constructor(private readonly rt: WasmRuntime) {
    this.available = sharedMemoryThreads();
  }

  /** Threads the kernels split their work for (the caller counts as one). */
  get count(): number {
    return this.rt.exports.llmts_threads();
  }

  /** Sets the thread count (1 where threads are not available); returns it. */
  set(n: number): number {
    const max = this.rt.exports.llmts_max_threads();
    const want = this.available ? Math.max(1, Math.min(Math.floor(n), max)) : 1;
    this.rt.exports.llmts_set_threads(want); // workers with id >= want leave on their own
    for (let id = 1; id < want; id++) if (this.slots[id] === undefined) this.spawn(id);
    return want;
  }

  /** Resolves once every worker of the current count has started (tests, benchmarks). */
  ready(): Promise<void> {
    const pending = (): boolean => {
      for (let id = 1; id < this.count; id++) if (this.slots[id]?.started !== true) return true;
      return false;
    };
    if (!pending()) return Promise.resolve();
    for (let id = 1; id < this.count; id++)
      if (this.slots[id]?.started === false) this.slots[id]!.worker.keepAlive(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (pending()) this.waiters.push(check);
        else resolve();
      };
      this.waiters.push(check);
    });
  }

  /** Stops every worker (they leave llmts_worker_main, then are terminated). */
  stop(): void {
    this.rt.exports.llmts_set_threads(1);
  }

  private spawn(id: number): void {
    const X = this.rt.exports;
    const base = X.llmts_malloc(STACK_BYTES) >>> 0;
    if (base === 0) throw new BackendError(`wasm: no memory for the stack of worker thread ${id}`);
    const worker = startWorker(WORKER_BODY, `llmts-wasm-${id}`);
    const slot: Slot = { worker, stack: base, started: false };
    this.slots[id] = slot;
    worker.onMessage((raw) => {
      const m = raw as WorkerMessage;
      if (m.started !== undefined) {
        slot.started = true;
        worker.keepAlive(false);
        const w = this.waiters;
        this.waiters = [];
        for (const f of w) f();
      } else if (m.failed !== undefined) {
        warnLine(`llmts: wasm worker thread ${id}: ${m.message ?? 'failed'}`);
      } else if (m.exited !== undefined) {
        worker.terminate();
        X.llmts_free(slot.stack);
        if (this.slots[id] === slot) this.slots[id] = undefined;
        if (id < this.count) this.spawn(id); // the count went down and up again before it left
      }
    });
    worker.onError((err) => {
      warnLine(`llmts: wasm worker thread ${id} stopped: ${err.message}`);
      if (this.slots[id] === slot) this.slots[id] = undefined;
    });
    worker.postMessage({ module: this.rt.module, memory: this.rt.memory, id, stackTop: base + STACK_BYTES });
  }
}
