/** Document URIs as the language server compares them: every spelling of a file has one key; other hosts do not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { locate, pathKey } from '../../server/src/lsp/documentUri';

const key = (uri: string) => {
  const location = locate(uri);
  return location.kind === 'unreadable' ? `unreadable: ${location.reason}` : location.key;
};

describe('document URIs', () => {
  it('give one key for every spelling of a file', () => {
    const plain = pathToFileURL('/work/Team (1)@home/app.plist').href;
    assert.equal(key(plain), '/work/Team (1)@home/app.plist');
    assert.equal(key('file:///work/Team%20%281%29%40home/app.plist'), key(plain));
    assert.equal(key('file://localhost/work/Team%20(1)@home/app.plist'), key(plain));
    // A Windows drive, as VS Code writes it and as others do (read here with POSIX paths, as on Linux and macOS).
    assert.equal(key('file:///c%3A/proj/app.plist'), key('file:///C:/proj/app.plist'));
    assert.equal(pathKey('C:\\proj\\app.plist'), 'c:\\proj\\app.plist');
  });

  it('other schemes are compared as written; URIs that name no local file are unreadable, with a reason', () => {
    assert.deepEqual(locate('untitled:Untitled-1'), { kind: 'other', key: 'untitled:Untitled-1' });
    assert.match(key('file://otherhost/share/app.plist'), /^unreadable: names the host otherhost/);
    assert.match(key('file:///work/a%2Fb/app.plist'), /^unreadable: has an encoded path separator/);
    assert.match(key('not a uri'), /^unreadable: not a valid URI/);
  });
});
