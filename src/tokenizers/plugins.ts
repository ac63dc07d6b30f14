/**
 * Modules that register extra pipeline components, formats or trainers (registry.ts), imported
 * for their side effect by index.ts. Add one line per plugin module.
 */
import './sentencepiece/register.ts';

export {};
