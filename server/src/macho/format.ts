/**
 * Constants of the Mach-O and code-signature formats: the one place they are written down.
 *
 * Values come from Apple's headers as summarised in the project's format notes: xnu `EXTERNAL_HEADERS/mach-o/loader.h`,
 * `fat.h`, `osfmk/mach/machine.h`, `osfmk/kern/cs_blobs.h`; cctools `include/mach-o/fat.h` (FAT_MAGIC_64);
 * Security `libsecurity_codesigning/lib/CSCommon.h` (flag names as `codesign -d` prints them).
 */

// ---- File magics (first four bytes read big-endian) ----
export const FAT_MAGIC = 0xcafebabe;
export const FAT_MAGIC_64 = 0xcafebabf;
export const FAT_CIGAM = 0xbebafeca;
export const FAT_CIGAM_64 = 0xbfbafeca;
export const MH_MAGIC = 0xfeedface; // 32-bit, big-endian on disk
export const MH_MAGIC_64 = 0xfeedfacf; // 64-bit, big-endian on disk
export const MH_CIGAM = 0xcefaedfe; // 32-bit, little-endian on disk
export const MH_CIGAM_64 = 0xcffaedfe; // 64-bit, little-endian on disk (arm64, x86_64)

/** A fat header with more entries than this is a Java class file (LLVM Magic.cpp uses byte 7 < 43). */
export const FAT_MAX_ARCHS = 42;

// ---- CPU types (machine.h) ----
export const CPU_ARCH_ABI64 = 0x01000000;
export const CPU_ARCH_ABI64_32 = 0x02000000;
export const CPU_TYPE_X86 = 7;
export const CPU_TYPE_X86_64 = CPU_TYPE_X86 | CPU_ARCH_ABI64;
export const CPU_TYPE_ARM = 12;
export const CPU_TYPE_ARM64 = CPU_TYPE_ARM | CPU_ARCH_ABI64;
export const CPU_TYPE_ARM64_32 = CPU_TYPE_ARM | CPU_ARCH_ABI64_32;
export const CPU_TYPE_POWERPC = 18;
export const CPU_TYPE_POWERPC64 = CPU_TYPE_POWERPC | CPU_ARCH_ABI64;
export const CPU_SUBTYPE_MASK = 0xff000000;

/** Architecture name as `lipo -archs` prints it. */
export function archName(cputype: number, cpusubtype: number): string {
  const sub = cpusubtype & ~CPU_SUBTYPE_MASK;
  switch (cputype) {
    case CPU_TYPE_X86_64:
      return sub === 8 ? 'x86_64h' : 'x86_64';
    case CPU_TYPE_X86:
      return 'i386';
    case CPU_TYPE_ARM64:
      return sub === 2 ? 'arm64e' : 'arm64';
    case CPU_TYPE_ARM64_32:
      return 'arm64_32';
    case CPU_TYPE_ARM:
      return ({ 6: 'armv6', 9: 'armv7', 11: 'armv7s', 12: 'armv7k' } as Record<number, string>)[sub] ?? 'arm';
    case CPU_TYPE_POWERPC:
      return 'ppc';
    case CPU_TYPE_POWERPC64:
      return 'ppc64';
    default:
      return `cputype-${cputype >>> 0}/${sub}`;
  }
}

// ---- Header ----
export const FILE_TYPES: Record<number, string> = {
  0x1: 'object',
  0x2: 'execute',
  0x3: 'fvmlib',
  0x4: 'core',
  0x5: 'preload',
  0x6: 'dylib',
  0x7: 'dylinker',
  0x8: 'bundle',
  0x9: 'dylib_stub',
  0xa: 'dsym',
  0xb: 'kext_bundle',
  0xc: 'fileset',
};
export const MH_EXECUTE = 0x2;

export const HEADER_FLAGS: [number, string][] = [
  [0x1, 'NOUNDEFS'],
  [0x2, 'INCRLINK'],
  [0x4, 'DYLDLINK'],
  [0x8, 'BINDATLOAD'],
  [0x10, 'PREBOUND'],
  [0x20, 'SPLIT_SEGS'],
  [0x80, 'TWOLEVEL'],
  [0x100, 'FORCE_FLAT'],
  [0x200, 'NOMULTIDEFS'],
  [0x800, 'PREBINDABLE'],
  [0x8000, 'WEAK_DEFINES'],
  [0x10000, 'BINDS_TO_WEAK'],
  [0x20000, 'ALLOW_STACK_EXECUTION'],
  [0x40000, 'ROOT_SAFE'],
  [0x80000, 'SETUID_SAFE'],
  [0x100000, 'NO_REEXPORTED_DYLIBS'],
  [0x200000, 'PIE'],
  [0x400000, 'DEAD_STRIPPABLE_DYLIB'],
  [0x800000, 'HAS_TLV_DESCRIPTORS'],
  [0x1000000, 'NO_HEAP_EXECUTION'],
  [0x2000000, 'APP_EXTENSION_SAFE'],
  [0x80000000, 'DYLIB_IN_CACHE'],
];

// ---- Load commands (loader.h) ----
/** OR-ed into some command ids; `>>> 0` below keeps the results unsigned, as the command ids are read. */
export const LC_REQ_DYLD = 0x80000000;
export const LC_SEGMENT = 0x1;
export const LC_UNIXTHREAD = 0x5;
export const LC_LOAD_DYLIB = 0xc;
export const LC_ID_DYLIB = 0xd;
export const LC_UUID = 0x1b;
export const LC_SEGMENT_64 = 0x19;
export const LC_CODE_SIGNATURE = 0x1d;
export const LC_LAZY_LOAD_DYLIB = 0x20;
export const LC_LOAD_WEAK_DYLIB = (0x18 | LC_REQ_DYLD) >>> 0;
export const LC_REEXPORT_DYLIB = (0x1f | LC_REQ_DYLD) >>> 0;
export const LC_LOAD_UPWARD_DYLIB = (0x23 | LC_REQ_DYLD) >>> 0;
export const LC_VERSION_MIN_MACOSX = 0x24;
export const LC_VERSION_MIN_IPHONEOS = 0x25;
export const LC_VERSION_MIN_TVOS = 0x2f;
export const LC_VERSION_MIN_WATCHOS = 0x30;
export const LC_MAIN = (0x28 | LC_REQ_DYLD) >>> 0;
export const LC_ENCRYPTION_INFO = 0x21;
export const LC_ENCRYPTION_INFO_64 = 0x2c;
export const LC_BUILD_VERSION = 0x32;

export const DYLIB_LOAD_COMMANDS = new Set([
  LC_LOAD_DYLIB,
  LC_LOAD_WEAK_DYLIB,
  LC_REEXPORT_DYLIB,
  LC_LAZY_LOAD_DYLIB,
  LC_LOAD_UPWARD_DYLIB,
]);

export const VERSION_MIN_PLATFORMS: Record<number, string> = {
  [LC_VERSION_MIN_MACOSX]: 'macos',
  [LC_VERSION_MIN_IPHONEOS]: 'ios',
  [LC_VERSION_MIN_TVOS]: 'tvos',
  [LC_VERSION_MIN_WATCHOS]: 'watchos',
};

/** LC_BUILD_VERSION platform numbers (cctools loader.h). */
export const PLATFORMS: Record<number, string> = {
  1: 'macos',
  2: 'ios',
  3: 'tvos',
  4: 'watchos',
  5: 'bridgeos',
  6: 'maccatalyst',
  7: 'iossimulator',
  8: 'tvossimulator',
  9: 'watchossimulator',
  10: 'driverkit',
  11: 'visionos',
  12: 'visionossimulator',
};

/** `xxxx.yy.zz` packed into a u32 (loader.h): used by minos, sdk, version-min and the CodeDirectory runtime. */
export function formatVersion(v: number): string {
  return `${v >>> 16}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

// ---- Code signature (cs_blobs.h); all big-endian ----
export const CSMAGIC_REQUIREMENT = 0xfade0c00;
export const CSMAGIC_REQUIREMENTS = 0xfade0c01;
export const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
export const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
export const CSMAGIC_EMBEDDED_SIGNATURE_OLD = 0xfade0b02;
export const CSMAGIC_EMBEDDED_ENTITLEMENTS = 0xfade7171;
export const CSMAGIC_EMBEDDED_DER_ENTITLEMENTS = 0xfade7172;
export const CSMAGIC_EMBEDDED_LAUNCH_CONSTRAINT = 0xfade8181;
export const CSMAGIC_BLOBWRAPPER = 0xfade0b01;

export const CSSLOT_CODEDIRECTORY = 0;
export const CSSLOT_INFOSLOT = 1;
export const CSSLOT_REQUIREMENTS = 2;
export const CSSLOT_RESOURCEDIR = 3;
export const CSSLOT_APPLICATION = 4;
export const CSSLOT_ENTITLEMENTS = 5;
export const CSSLOT_REP_SPECIFIC = 6;
export const CSSLOT_DER_ENTITLEMENTS = 7;
export const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
export const CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT = 0x1005;
export const CSSLOT_SIGNATURESLOT = 0x10000;
export const CSSLOT_IDENTIFICATIONSLOT = 0x10001;
export const CSSLOT_TICKETSLOT = 0x10002;

/** Readable names of SuperBlob slots and of CodeDirectory special slots (same numbering). */
export function slotName(slot: number): string {
  const names: Record<number, string> = {
    0: 'CodeDirectory',
    1: 'Info.plist',
    2: 'Requirements',
    3: 'CodeResources',
    4: 'Application',
    5: 'Entitlements',
    6: 'RepSpecific',
    7: 'DER Entitlements',
    8: 'LaunchConstraint(self)',
    9: 'LaunchConstraint(parent)',
    10: 'LaunchConstraint(responsible)',
    11: 'LibraryConstraint',
    [CSSLOT_SIGNATURESLOT]: 'CMS Signature',
    [CSSLOT_IDENTIFICATIONSLOT]: 'Identification',
    [CSSLOT_TICKETSLOT]: 'Ticket',
  };
  if (slot >= CSSLOT_ALTERNATE_CODEDIRECTORIES && slot < CSSLOT_ALTERNATE_CODEDIRECTORY_LIMIT) {
    return `Alternate CodeDirectory ${slot - CSSLOT_ALTERNATE_CODEDIRECTORIES}`;
  }
  return names[slot] ?? `slot 0x${slot.toString(16)}`;
}

/** Special slots whose contents are a blob in the SuperBlob itself (hashed whole, header included). */
export const BLOB_BACKED_SPECIAL_SLOTS = [2, 5, 7, 8, 9, 10, 11];

/** CodeDirectory versions (CS_SUPPORTS*) and the end of the fixed header each version has. */
export const CD_VERSION_EARLIEST = 0x20001;
export const CD_SUPPORTS_SCATTER = 0x20100;
export const CD_SUPPORTS_TEAMID = 0x20200;
export const CD_SUPPORTS_CODELIMIT64 = 0x20300;
export const CD_SUPPORTS_EXECSEG = 0x20400;
export const CD_SUPPORTS_RUNTIME = 0x20500;
export const CD_SUPPORTS_LINKAGE = 0x20600;
export const CD_VERSION_COMPATIBILITY_LIMIT = 0x2f000;

/** CodeDirectory flags as `codesign -d` names them (CSCommon.h kSecCodeSignature*). */
export const CD_FLAGS: [number, string][] = [
  [0x0001, 'host'],
  [0x0002, 'adhoc'],
  [0x0100, 'hard'],
  [0x0200, 'kill'],
  [0x0400, 'expires'],
  [0x0800, 'restrict'],
  [0x1000, 'enforcement'],
  [0x2000, 'library-validation'],
  [0x10000, 'runtime'],
  [0x20000, 'linker-signed'],
];
export const CS_ADHOC = 0x2;
export const CS_RUNTIME = 0x10000;
export const CS_LINKER_SIGNED = 0x20000;

export const EXEC_SEG_FLAGS: [number, string][] = [
  [0x1, 'main-binary'],
  [0x10, 'allow-unsigned'],
  [0x20, 'debugger'],
  [0x40, 'jit'],
  [0x80, 'skip-lv'],
  [0x100, 'can-load-cdhash'],
  [0x200, 'can-exec-cdhash'],
];

export interface HashTypeInfo {
  name: string;
  size: number;
  /** node:crypto algorithm. */
  algorithm: string;
  /** Kernel/Security preference when several CodeDirectories exist: higher wins. */
  rank: number;
}

export const HASH_TYPES: Record<number, HashTypeInfo> = {
  1: { name: 'sha1', size: 20, algorithm: 'sha1', rank: 1 },
  2: { name: 'sha256', size: 32, algorithm: 'sha256', rank: 3 },
  3: { name: 'sha256-truncated', size: 20, algorithm: 'sha256', rank: 2 },
  4: { name: 'sha384', size: 48, algorithm: 'sha384', rank: 4 },
};
export const CDHASH_LEN = 20;

/** Page sizes the kernel loads for a Mach-O CodeDirectory: 4 KiB and 16 KiB (cs_validate_codedirectory). */
export const KERNEL_PAGE_SHIFTS = [12, 14];

export const REQUIREMENT_TYPES: Record<number, string> = {
  1: 'host',
  2: 'guest',
  3: 'designated',
  4: 'library',
  5: 'plugin',
};

export function flagNames(value: number, table: [number, string][]): string[] {
  const names: string[] = [];
  let rest = value >>> 0;
  for (const [bit, name] of table) {
    if ((rest & bit) >>> 0 === bit) {
      names.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names;
}

/** u64 fields (fat64 offsets, codeLimit64, execSeg) as Numbers: values past 2^53 cannot be real offsets, so they clamp. */
export function clampU64(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
