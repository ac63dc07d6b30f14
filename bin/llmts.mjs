#!/usr/bin/env node
// The llmts command: registers tsx so the TypeScript sources run directly, then hands
// over to the CLI in cli/main.ts.
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
