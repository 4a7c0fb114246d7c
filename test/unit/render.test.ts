/** The Markdown page the extension shows for an inspection. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderInspection } from '../../client/src/render';
import type { InspectRequest } from '../../server/src/protocol';

describe('renderInspection', () => {
  it('lists errors, slices and checks', () => {
    const result: InspectRequest.Result = {
      errors: [{ path: '/x', message: '/x: not a Mach-O file' }],
      reports: [
        {
          path: '/bin/tool',
          kind: 'macho',
          architectures: [],
          checks: [{ id: 'signature/present', status: 'fail', message: 'arm64: no code signature' }],
        },
      ],
    };
    const text = renderInspection(result);
    assert.match(text, /❗ \/x: not a Mach-O file/);
    assert.match(text, /## \/bin\/tool/);
    assert.match(text, /❌ `signature\/present` arm64: no code signature/);
  });
});
