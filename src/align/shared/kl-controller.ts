/**
 * The KL coefficient beta of the per-token penalty (detail 14): fixed, or adapted toward a
 * target KL (Ziegler et al.; TRL legacy AdaptiveKLController):
 *   beta <- beta * (1 + clip(KL / target - 1, -0.2, 0.2) * n / horizon)
 * where KL is the batch's mean sequence KL and n the episodes in the step.
 */
import { ArgumentError } from '../../core/errors.ts';

export interface KlControllerState {
  value: number;
}

export interface KlController {
  value: number;
  update(currentKl: number, nSteps: number): void;
}

export class FixedKlController implements KlController {
  constructor(public value: number) {
    if (!(value >= 0)) throw new ArgumentError('klCoef', `must be >= 0, got ${value}`);
  }
  update(_currentKl: number, _nSteps: number): void {}
}

export class AdaptiveKlController implements KlController {
  constructor(
    public value: number,
    readonly target: number,
    readonly horizon: number,
  ) {
    if (!(value >= 0)) throw new ArgumentError('klCoef', `must be >= 0, got ${value}`);
    if (!(target > 0)) throw new ArgumentError('klTarget', `must be > 0, got ${target}`);
    if (!(horizon > 0)) throw new ArgumentError('klHorizon', `must be > 0, got ${horizon}`);
  }

  update(currentKl: number, nSteps: number): void {
    const error = Math.min(0.2, Math.max(-0.2, currentKl / this.target - 1));
    this.value *= 1 + (error * nSteps) / this.horizon;
  }
}

export function createKlController(o: { klCoef: number; klTarget: number | null; klHorizon: number }): KlController {
  return o.klTarget === null
    ? new FixedKlController(o.klCoef)
    : new AdaptiveKlController(o.klCoef, o.klTarget, o.klHorizon);
}
