/**
 * `node --import tsx test/support/checkPackages.ts [test|e2e]`: prints one warning line naming the system packages
 * that suite misses, and exits 0 (scripts/test.mjs runs it before the tests). A separate entry point, so that bundling
 * systemPackages.ts into a benchmark never runs it.
 */
import { missingPackagesWarning } from './systemPackages';

const warning = missingPackagesWarning(process.argv[2] === 'e2e' ? 'e2e' : 'test');
if (warning) console.warn(warning);
