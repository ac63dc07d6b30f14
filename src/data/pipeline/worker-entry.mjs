// Worker bootstrap: worker threads do not inherit tsx's loader hooks (and Node 20
// ignores `--import` in a Worker's execArgv), so register tsx here, then load the
// TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
