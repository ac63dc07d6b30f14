/**
 * The optimizers of the online stages (PPO's actor and critic, GRPO's policy), alike so the
 * stages compare: AdamW without weight decay over a model's trainable parameters, a small
 * epsilon (1e-5) and a learning rate decaying linearly to 0 over the run (detail 26),
 * stepped after scaling the gradients to a global norm of at most gradClip.
 */
import type { Module } from '../../nn/module.ts';
import { AdamW } from '../../optim/adamw.ts';
import { clipFactor, gradNorm } from '../../optim/clip.ts';

export function rlOptimizer(model: Module, lr: number, eps: number): AdamW {
  return new AdamW([{ params: model.parameters().filter((p) => p.requiresGrad), lr, weightDecay: 0 }], { eps });
}

/** The learning-rate factor of a step: linear decay to 0 over `steps`, or constant. */
export function lrFactor(schedule: 'linear' | 'constant', step: number, steps: number): number {
  return schedule === 'linear' ? 1 - step / steps : 1;
}

/** One step with the gradients clipped to a global norm of gradClip (null: not clipped); returns the norm before clipping. */
export function clippedStep(optimizer: AdamW, gradClip: number | null): number {
  const norm = gradNorm(optimizer.groups.flatMap((g) => g.params));
  optimizer.step(gradClip !== null ? clipFactor(norm, gradClip) : 1);
  return norm;
}
