/**
 * The one error type the engine throws on purpose: the input cannot be used (not a Mach-O, truncated,
 * unreadable, malformed beyond repair). Adapters print its message as one line, with no stack trace,
 * and exit 2 (CLI) or return it as a result field (language server). Any other exception is a bug.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(message: string) {
    super(message);
  }
}
