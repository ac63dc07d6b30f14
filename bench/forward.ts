/**
 * `npm run bench -- forward [--quick] [--no-peer] [--backend reference|native] [--threads N] [--json]`
 *
 * Forward and forward+backward tokens/s of a GPT-2-small shaped model (12 layers, 768 wide,
 * 12 heads, 1024 context, random weights) at batch 1 and 8, and of the nanoGPT
 * shakespeare-char shape (4 layers, 128 wide, 4 heads, block 64, batch 12), on each
 * available backend, with the same model in PyTorch in the same run for the ratio: PyTorch at
 * llmts's thread count and at each count from 1 to the cores (bench/lib/harness.ts), both ratios printed.
 */
import { join } from 'node:path';
import type { Backend } from '../src/backends/backend.ts';
import { availableBackends } from '../src/backends/select.ts';
import { GPT, gptPreset } from '../src/models/gpt.ts';
import { flattenParameters } from '../src/nn/module.ts';
import { tidy } from '../src/engine/memory.ts';
import { noGrad } from '../src/engine/grad-mode.ts';
import { tensor } from '../src/engine/ops/creation.ts';
import { Generator } from '../src/core/random.ts';
import {
  BENCH_DIR,
  flagValue,
  median,
  peerAtThreads,
  pythonVersion,
  ratio,
  runPython,
  versus,
  startBench,
} from './lib/harness.ts';

interface Case {
  name: string;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  vocab: number;
  T: number;
  B: number;
}

const CASES: Case[] = [
  { name: 'gpt2-small B1', nLayer: 12, nHead: 12, nEmbd: 768, vocab: 50257, T: 1024, B: 1 },
  { name: 'gpt2-small B8', nLayer: 12, nHead: 12, nEmbd: 768, vocab: 50257, T: 1024, B: 8 },
  { name: 'shakespeare-char', nLayer: 4, nHead: 4, nEmbd: 128, vocab: 65, T: 64, B: 12 },
];

function measure(c: Case, backend: Backend, reps: number): { fwd: number; fwdBwd: number } {
  const model = new GPT(
    gptPreset('gpt2', {
      vocabSize: c.vocab,
      blockSize: c.T,
      nLayer: c.nLayer,
      nHead: c.nHead,
      nEmbd: c.nEmbd,
      dropout: 0,
      attnDropout: 0,
    }),
    { seed: 0, backend },
  );
  flattenParameters(model);
  const g = new Generator(0);
  const ids = Int32Array.from({ length: c.B * c.T }, () => g.randint(c.vocab));
  const x = tensor(ids, { shape: [c.B, c.T], backend });
  const fwd: number[] = [];
  const both: number[] = [];
  for (let r = 0; r < reps + 1; r++) {
    let t0 = performance.now();
    noGrad(() =>
      tidy(() => {
        model.forward(x, { targets: x }).loss!.item();
      }),
    );
    fwd.push(performance.now() - t0);
    t0 = performance.now();
    tidy(() => {
      model.forward(x, { targets: x }).loss!.backward();
    });
    model.zeroGrad();
    both.push(performance.now() - t0);
  }
  // drop the first (warm-up: first-touch of fresh buffers)
  const tokens = c.B * c.T;
  return { fwd: tokens / (median(fwd.slice(1)) / 1000), fwdBwd: tokens / (median(both.slice(1)) / 1000) };
}

const PEER_CODE = `
import json, sys, time, torch, importlib.util
spec = importlib.util.spec_from_file_location('tg', sys.argv[1]); tg = importlib.util.module_from_spec(spec); spec.loader.exec_module(tg)
c = json.loads(sys.argv[2]); torch.set_num_threads(c['threads']); torch.manual_seed(0)
m = tg.GPT(c['vocab'], c['T'], c['nLayer'], c['nHead'], c['nEmbd'])
x = torch.randint(0, c['vocab'], (c['B'], c['T']))
F = torch.nn.functional
def step(train):
    t0 = time.perf_counter()
    if train:
        loss = F.cross_entropy(m(x).view(-1, c['vocab']), x.view(-1)); m.zero_grad(); loss.backward()
    else:
        with torch.no_grad(): F.cross_entropy(m(x).view(-1, c['vocab']), x.view(-1)).item()
    return time.perf_counter() - t0
f = sorted(step(False) for _ in range(c['reps'] + 1))[1:]; b = sorted(step(True) for _ in range(c['reps'] + 1))[1:]
n = c['B'] * c['T']
print(json.dumps({'fwd': n / f[len(f) // 2], 'fwdBwd': n / b[len(b) // 2], 'threads': torch.get_num_threads()}))
`;

interface Rates {
  fwd: number;
  fwdBwd: number;
}

function peer(c: Case, reps: number, threads: number): Rates | null {
  const script = join(BENCH_DIR, 'peers', 'torch_gpt.py');
  return runPython<Rates>({ code: PEER_CODE }, [script, JSON.stringify({ ...c, reps, threads })], threads, {
    timeoutMs: 1_800_000,
  });
}

export async function main(args: string[]): Promise<void> {
  const bench = startBench('forward', args);
  const quick = args.includes('--quick');
  const only = flagValue(args, '--backend');
  const backends = availableBackends().filter((b) => only === undefined || b.name === only);
  const reps = quick ? 2 : 4;
  if (bench.withPeer) bench.peerVersion('torch', pythonVersion('torch'));
  const tok = (x: number): string => Math.round(x).toString().padStart(7);
  for (const c of quick ? CASES.slice(2) : CASES) {
    const p = await peerAtThreads(
      bench,
      (t) => peer(c, reps, t),
      (r) => r.fwdBwd,
      'higher',
    );
    for (const b of backends) {
      // the reference backend on GPT-2-small takes minutes per step: skip it there
      if (b.name === 'reference' && c.nEmbd > 256 && !args.includes('--all')) {
        console.log(
          `${c.name.padEnd(17)} ${b.name.padEnd(9)} skipped (use --all; the reference backend is the specification, not a fast path)`,
        );
        continue;
      }
      const r = measure(c, b, reps);
      const threads = b.name === 'reference' ? 1 : bench.threads;
      const vs = (pick: (r: Rates) => number): string => versus(p, pick(r), pick, 'PyTorch', 'higher');
      console.log(
        `${c.name.padEnd(17)} ${b.name.padEnd(9)} ${threads}t  forward ${tok(r.fwd)} tok/s${vs((x) => x.fwd)}   forward+backward ${tok(r.fwdBwd)} tok/s${vs((x) => x.fwdBwd)}`,
      );
      const like = p.atLlmts?.result;
      const best = p.best?.result;
      bench.record({
        case: c.name,
        impl: `llmts-${b.name}`,
        threads,
        forwardTokensPerS: Math.round(r.fwd),
        forwardBackwardTokensPerS: Math.round(r.fwdBwd),
      });
      if (b.name === 'native' && like && best) {
        bench.summary[`${c.name} forward+backward vs PyTorch at ${p.atLlmts!.threads}t`] = ratio(r.fwdBwd, like.fwdBwd);
        bench.summary[`${c.name} forward+backward vs PyTorch best (${p.best!.threads}t)`] = ratio(
          r.fwdBwd,
          best.fwdBwd,
        );
      }
    }
    for (const pt of p.all) {
      console.log(
        `${c.name.padEnd(17)} pytorch   ${pt.threads}t  forward ${tok(pt.result.fwd)} tok/s   forward+backward ${tok(pt.result.fwdBwd)} tok/s${pt === p.best && p.all.length > 1 ? '  (best)' : ''}`,
      );
      bench.record({
        case: c.name,
        impl: 'pytorch',
        threads: pt.threads,
        forwardTokensPerS: Math.round(pt.result.fwd),
        forwardBackwardTokensPerS: Math.round(pt.result.fwdBwd),
        best: pt === p.best,
      });
    }
  }
  bench.finish();
}
