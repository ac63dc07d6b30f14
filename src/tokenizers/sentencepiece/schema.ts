/**
 * The SentencePiece ModelProto schema (sentencepiece_model.proto, proto2), written out as a
 * protobufjs JSON namespace so no code generation or .proto parsing is needed at runtime.
 * Field numbers and defaults follow sentencepiece_model.proto as shipped with 0.1.9x.
 */
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';

const trainerSpecFields = {
  input: { rule: 'repeated', type: 'string', id: 1 },
  input_format: { type: 'string', id: 7 },
  model_prefix: { type: 'string', id: 2 },
  model_type: { type: 'ModelType', id: 3, options: { default: 'UNIGRAM' } },
  vocab_size: { type: 'int32', id: 4, options: { default: 8000 } },
  accept_language: { rule: 'repeated', type: 'string', id: 5 },
  self_test_sample_size: { type: 'int32', id: 6, options: { default: 0 } },
  enable_differential_privacy: { type: 'bool', id: 50, options: { default: false } },
  differential_privacy_noise_level: { type: 'float', id: 51, options: { default: 0 } },
  differential_privacy_clipping_threshold: { type: 'uint64', id: 52, options: { default: 0 } },
  character_coverage: { type: 'float', id: 10, options: { default: 0.9995 } },
  input_sentence_size: { type: 'uint64', id: 11, options: { default: 0 } },
  shuffle_input_sentence: { type: 'bool', id: 19, options: { default: true } },
  mining_sentence_size: { type: 'int32', id: 12 },
  training_sentence_size: { type: 'int32', id: 13 },
  seed_sentencepiece_size: { type: 'int32', id: 14, options: { default: 1000000 } },
  shrinking_factor: { type: 'float', id: 15, options: { default: 0.75 } },
  max_sentence_length: { type: 'int32', id: 18, options: { default: 4192 } },
  num_threads: { type: 'int32', id: 16, options: { default: 16 } },
  num_sub_iterations: { type: 'int32', id: 17, options: { default: 2 } },
  max_sentencepiece_length: { type: 'int32', id: 20, options: { default: 16 } },
  split_by_unicode_script: { type: 'bool', id: 21, options: { default: true } },
  split_by_number: { type: 'bool', id: 23, options: { default: true } },
  split_by_whitespace: { type: 'bool', id: 22, options: { default: true } },
  treat_whitespace_as_suffix: { type: 'bool', id: 24, options: { default: false } },
  allow_whitespace_only_pieces: { type: 'bool', id: 26, options: { default: false } },
  split_digits: { type: 'bool', id: 25, options: { default: false } },
  control_symbols: { rule: 'repeated', type: 'string', id: 30 },
  user_defined_symbols: { rule: 'repeated', type: 'string', id: 31 },
  required_chars: { type: 'string', id: 36 },
  byte_fallback: { type: 'bool', id: 35, options: { default: false } },
  vocabulary_output_piece_score: { type: 'bool', id: 32, options: { default: true } },
  hard_vocab_limit: { type: 'bool', id: 33, options: { default: true } },
  use_all_vocab: { type: 'bool', id: 34, options: { default: false } },
  unk_id: { type: 'int32', id: 40, options: { default: 0 } },
  bos_id: { type: 'int32', id: 41, options: { default: 1 } },
  eos_id: { type: 'int32', id: 42, options: { default: 2 } },
  pad_id: { type: 'int32', id: 43, options: { default: -1 } },
  unk_piece: { type: 'string', id: 45, options: { default: '<unk>' } },
  bos_piece: { type: 'string', id: 46, options: { default: '<s>' } },
  eos_piece: { type: 'string', id: 47, options: { default: '</s>' } },
  pad_piece: { type: 'string', id: 48, options: { default: '<pad>' } },
  unk_surface: { type: 'string', id: 44, options: { default: ' \u2047 ' } },
  train_extremely_large_corpus: { type: 'bool', id: 49, options: { default: false } },
};

// subtle: protobufjs reads JSON fields as proto3 (implicit presence: a false/0/empty value is
// dropped) unless each message says `edition: 'proto2'`; SentencePiece relies on explicit
// presence (remove_extra_whitespaces: false must survive a round trip).
const schema = {
  nested: {
    sentencepiece: {
      nested: {
        TrainerSpec: {
          edition: 'proto2',
          fields: trainerSpecFields,
          nested: { ModelType: { values: { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } } },
        },
        NormalizerSpec: {
          edition: 'proto2',
          fields: {
            name: { type: 'string', id: 1 },
            precompiled_charsmap: { type: 'bytes', id: 2 },
            add_dummy_prefix: { type: 'bool', id: 3, options: { default: true } },
            remove_extra_whitespaces: { type: 'bool', id: 4, options: { default: true } },
            escape_whitespaces: { type: 'bool', id: 5, options: { default: true } },
            normalization_rule_tsv: { type: 'string', id: 6 },
          },
        },
        SelfTestData: {
          edition: 'proto2',
          fields: { samples: { rule: 'repeated', type: 'Sample', id: 1 } },
          nested: {
            Sample: {
              edition: 'proto2',
              fields: { input: { type: 'string', id: 1 }, expected: { type: 'string', id: 2 } },
            },
          },
        },
        ModelProto: {
          edition: 'proto2',
          fields: {
            pieces: { rule: 'repeated', type: 'SentencePiece', id: 1 },
            trainer_spec: { type: 'TrainerSpec', id: 2 },
            normalizer_spec: { type: 'NormalizerSpec', id: 3 },
            self_test_data: { type: 'SelfTestData', id: 4 },
            denormalizer_spec: { type: 'NormalizerSpec', id: 5 },
          },
          nested: {
            SentencePiece: {
              edition: 'proto2',
              fields: {
                piece: { type: 'string', id: 1 },
                score: { type: 'float', id: 2 },
                type: { type: 'Type', id: 3, options: { default: 'NORMAL' } },
              },
              nested: { Type: { values: { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, BYTE: 6, UNUSED: 5 } } },
            },
          },
        },
      },
    },
  },
};

export interface ProtoSchema {
  protobuf: typeof Protobuf;
  ModelProtoType: Protobuf.Type;
}

let loaded: ProtoSchema | undefined;

/** protobufjs and the ModelProto type, loaded on first use (~40 ms that tokenizer.json users never need). */
export function protoSchema(): ProtoSchema {
  if (loaded === undefined) {
    const protobuf = createRequire(import.meta.url)('protobufjs') as typeof Protobuf;
    const root = protobuf.Root.fromJSON(schema);
    loaded = { protobuf, ModelProtoType: root.lookupType('sentencepiece.ModelProto') };
  }
  return loaded;
}
