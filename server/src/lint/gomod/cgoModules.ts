/**
 * Well-known modules whose packages use cgo on macOS: the third layer of cgo detection, used when neither `go list`
 * nor the module's source is available. Each entry names where the fact comes from (the module's own repository,
 * where the cgo code or the README says so) and a pure-Go alternative when one exists.
 */

export interface CgoModule {
  /** Module path; major-version suffixes (`/v2`) match too. */
  module: string;
  /** What C code it brings, in our words. */
  what: string;
  source: string;
  alternative?: { module: string; note: string };
}

export const CGO_MODULES: CgoModule[] = [
  {
    module: 'github.com/mattn/go-sqlite3',
    what: 'compiles SQLite from C sources through cgo',
    source: 'https://github.com/mattn/go-sqlite3#installation',
    alternative: { module: 'modernc.org/sqlite', note: 'SQLite translated to pure Go; works with CGO_ENABLED=0' },
  },
  {
    module: 'github.com/go-gl/glfw',
    what: 'wraps the GLFW C library (Cocoa and OpenGL on macOS)',
    source: 'https://github.com/go-gl/glfw',
  },
  { module: 'github.com/go-gl/gl', what: 'binds OpenGL through cgo', source: 'https://github.com/go-gl/gl' },
  {
    module: 'fyne.io/fyne',
    what: 'uses cgo for its desktop drivers (GLFW, Cocoa)',
    source: 'https://docs.fyne.io/started/',
  },
  { module: 'gocv.io/x/gocv', what: 'binds OpenCV through cgo', source: 'https://github.com/hybridgroup/gocv' },
  {
    module: 'github.com/veandco/go-sdl2',
    what: 'binds SDL2 through cgo',
    source: 'https://github.com/veandco/go-sdl2',
  },
  { module: 'github.com/gotk3/gotk3', what: 'binds GTK 3 through cgo', source: 'https://github.com/gotk3/gotk3' },
  {
    module: 'github.com/libgit2/git2go',
    what: 'binds libgit2 through cgo',
    source: 'https://github.com/libgit2/git2go',
    alternative: { module: 'github.com/go-git/go-git/v5', note: 'a Git implementation in pure Go' },
  },
  {
    module: 'github.com/confluentinc/confluent-kafka-go',
    what: 'binds librdkafka through cgo',
    source: 'https://github.com/confluentinc/confluent-kafka-go',
    alternative: { module: 'github.com/segmentio/kafka-go', note: 'a Kafka client in pure Go' },
  },
  {
    module: 'github.com/linxGnu/grocksdb',
    what: 'binds RocksDB through cgo',
    source: 'https://github.com/linxGnu/grocksdb',
  },
  {
    module: 'github.com/miekg/pkcs11',
    what: 'loads PKCS#11 modules through cgo and dlopen',
    source: 'https://github.com/miekg/pkcs11',
  },
  {
    module: 'github.com/keybase/go-keychain',
    what: 'calls the macOS Security framework through cgo',
    source: 'https://github.com/keybase/go-keychain',
  },
  {
    module: 'github.com/progrium/macdriver',
    what: 'calls Objective-C frameworks through cgo',
    source: 'https://github.com/progrium/macdriver',
  },
  {
    module: 'github.com/progrium/darwinkit',
    what: 'calls Objective-C frameworks through cgo',
    source: 'https://github.com/progrium/darwinkit',
  },
  {
    module: 'github.com/getlantern/systray',
    what: 'builds its macOS menu-bar code with cgo (Objective-C)',
    source: 'https://github.com/getlantern/systray',
  },
  {
    module: 'github.com/webview/webview_go',
    what: 'embeds WebKit through cgo',
    source: 'https://github.com/webview/webview_go',
  },
  {
    module: 'github.com/webview/webview',
    what: 'embeds WebKit through cgo',
    source: 'https://github.com/webview/webview',
  },
  {
    module: 'github.com/fsnotify/fsevents',
    what: 'uses the FSEvents C API through cgo',
    source: 'https://github.com/fsnotify/fsevents',
    alternative: { module: 'github.com/fsnotify/fsnotify', note: 'kqueue on macOS, no cgo' },
  },
  {
    module: 'github.com/gen2brain/malgo',
    what: 'compiles the miniaudio C library through cgo',
    source: 'https://github.com/gen2brain/malgo',
  },
  {
    module: 'github.com/google/gopacket',
    what: 'its pcap package binds libpcap through cgo',
    source: 'https://github.com/google/gopacket/tree/master/pcap',
  },
];

/** The entry for a module path, matching `/vN` major-version suffixes too. */
export function knownCgoModule(path: string): CgoModule | undefined {
  const base = path.replace(/\/v\d+$/, '');
  return CGO_MODULES.find((m) => m.module === path || m.module === base);
}
