/**
 * The `go-macos-sign` executable (bundled as dist/cli.js): starts the page-hashing workers if the command will use them
 * (earlyWorkers.ts), loads the CLI's bundle (dist/cliMain.js, built from cli/main.ts) through the V8 code cache of
 * compileCache.ts and runs it on this process's arguments. It stays this small because Node compiles it at every start
 * without a cache.
 */
import * as path from 'node:path';
import { loadCompiled } from './compileCache';
import { startWorkersFor } from './earlyWorkers';

const argv = process.argv.slice(2);
const pageWorkers = startWorkersFor(argv);
const cli = loadCompiled(path.join(__dirname, 'cliMain.js'), argv[0]) as typeof import('./main');
cli.runProcess(argv, { pageWorkers });
