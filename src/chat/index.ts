/** A conversation with a model: chat template, generation and streaming over one history. */
export * from './session.ts';
