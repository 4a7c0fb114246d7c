/** What a promise was rejected with, checked to be what the engine throws on purpose: one InputError, one line. */
import assert from 'node:assert/strict';
import { InputError } from '../../server/src/errors';

export async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    assert.doesNotMatch(error.message, /\n/);
    return error.message;
  }
  assert.fail('no error');
}
