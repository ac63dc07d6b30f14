/** Config validation shared by the models: each error names the field as users write it (snake_case). */
import { ConfigError } from '../core/errors.ts';
import { ACTIVATIONS } from '../nn/layers.ts';
import { NORMS } from '../nn/norm-layer.ts';

export interface CommonConfig {
  vocabSize: number;
  blockSize: number;
  nLayer: number;
  nHead: number;
  nKvHead: number;
  nEmbd: number;
  intermediateSize: number;
  activation: string;
  norm: string;
  normEps: number;
  normPlacement: string;
  dropout: number;
  attnDropout: number;
  initStd: number;
}

function positiveInt(field: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0) throw new ConfigError(field, `must be a positive integer, got ${v}`);
}

function probability(field: string, v: number): void {
  if (!(v >= 0 && v < 1)) throw new ConfigError(field, `must be in [0, 1), got ${v}`);
}

export function validateCommon(c: CommonConfig): void {
  positiveInt('vocab_size', c.vocabSize);
  positiveInt('block_size', c.blockSize);
  positiveInt('n_layer', c.nLayer);
  positiveInt('n_head', c.nHead);
  positiveInt('n_embd', c.nEmbd);
  positiveInt('n_kv_head', c.nKvHead);
  positiveInt('intermediate_size', c.intermediateSize);
  if (c.nEmbd % c.nHead !== 0) throw new ConfigError('n_embd', `${c.nEmbd} is not divisible by n_head ${c.nHead}`);
  if (c.nHead % c.nKvHead !== 0)
    throw new ConfigError('n_kv_head', `n_head ${c.nHead} is not a multiple of n_kv_head ${c.nKvHead}`);
  if (!(ACTIVATIONS as readonly string[]).includes(c.activation)) {
    throw new ConfigError(
      'activation',
      `unknown activation "${c.activation}" (expected one of ${ACTIVATIONS.join(', ')})`,
    );
  }
  if (!(NORMS as readonly string[]).includes(c.norm))
    throw new ConfigError('norm', `unknown normalization "${c.norm}" (expected one of ${NORMS.join(', ')})`);
  if (c.normPlacement !== 'pre' && c.normPlacement !== 'post')
    throw new ConfigError('norm_placement', `must be "pre" or "post", got "${c.normPlacement}"`);
  if (!(c.normEps > 0)) throw new ConfigError('norm_eps', `must be > 0, got ${c.normEps}`);
  probability('dropout', c.dropout);
  probability('attn_dropout', c.attnDropout);
  if (!(c.initStd > 0)) throw new ConfigError('init_std', `must be > 0, got ${c.initStd}`);
}
