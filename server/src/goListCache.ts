/**
 * `go list` for the language server: in the background, one run per go.mod at a time (a newer request cancels the
 * older one), and cached by what go list reads (go.mod, go.sum, vendor/modules.txt) and the target architectures,
 * so reopening or editing elsewhere costs nothing. Results are only used while the files on disk are unchanged.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileAccessError, readFileBounded, readTextBounded } from './fileAccess';
import type { CgoFinding } from './lint/gomod/analyze';
import { detectCgo } from './lint/gomod/cgoLayers';
import { goarchs } from './lint/lintFiles';

export class GoListCache {
  /** Findings by input key; null when go list could not run for those inputs (so it is not retried on every keystroke). */
  private readonly results = new Map<string, CgoFinding[] | null>();
  private readonly running = new Map<string, AbortController>();

  constructor(
    private readonly log: (message: string) => void,
    private readonly go?: string,
  ) {}

  /** The key for a go.mod's current inputs, or undefined when it is not a local file. */
  private key(uri: string, architectures: string[]): { file: string; key: string } | undefined {
    if (!uri.startsWith('file:')) return undefined;
    const file = fileURLToPath(uri);
    const hash = createHash('sha256');
    for (const input of ['go.mod', 'go.sum', path.join('vendor', 'modules.txt')]) {
      try {
        hash.update(readFileBounded(path.join(path.dirname(file), input), 'text'));
      } catch (error) {
        if (!(error instanceof FileAccessError)) throw error;
        hash.update(`-${error.problem}`);
      }
      hash.update('\0');
    }
    hash.update(goarchs(architectures).join(','));
    return { file, key: hash.digest('hex') };
  }

  cached(uri: string, architectures: string[]): CgoFinding[] | undefined {
    const k = this.key(uri, architectures);
    return (k && this.results.get(k.key)) ?? undefined;
  }

  /** Stores findings for a go.mod's current inputs (what a finished go list run does). */
  remember(uri: string, architectures: string[], findings: CgoFinding[]): void {
    const k = this.key(uri, architectures);
    if (k) this.results.set(k.key, findings);
  }

  /** Runs go list for a go.mod; resolves true when new findings are cached, false if cancelled or failed. */
  async refresh(uri: string, architectures: string[]): Promise<boolean> {
    const k = this.key(uri, architectures);
    if (!k || this.results.has(k.key)) return false;
    this.running.get(uri)?.abort();
    const controller = new AbortController();
    this.running.set(uri, controller);
    const started = Date.now();
    try {
      const text = readTextBounded(k.file, 'text');
      const result = await detectCgo(k.file, text, {
        goarchs: goarchs(architectures),
        useGoList: true,
        signal: controller.signal,
        go: this.go,
      });
      if (controller.signal.aborted) return false;
      if (result.fallbackReason) {
        // The module sources and known modules answered instead; each finding says why go list could not.
        this.results.set(k.key, result.findings);
        this.log(`go list could not answer for ${k.file}: ${result.fallbackReason}`);
        return true;
      }
      this.results.set(k.key, result.findings);
      this.log(`go list for ${k.file}: ${result.findings.length} cgo module(s) in ${Date.now() - started} ms`);
      return true;
    } catch (error) {
      this.log(`go list failed for ${k.file}: ${(error as Error).message}`);
      return false;
    } finally {
      if (this.running.get(uri) === controller) this.running.delete(uri);
    }
  }

  cancel(uri: string): void {
    this.running.get(uri)?.abort();
  }
}
