/**
 * The `go-macos-sign` executable (bundled as dist/cli.js): loads the CLI's bundle (dist/cliMain.js, built from
 * cli/main.ts) through the V8 code cache of compileCache.ts and runs it on this process's arguments. It stays this
 * small because Node compiles it at every start without a cache.
 */
import * as path from 'node:path';
import { loadCompiled } from './compileCache';

const cli = loadCompiled(path.join(__dirname, 'cliMain.js'), process.argv[2]) as typeof import('./main');
cli.runProcess(process.argv.slice(2));
