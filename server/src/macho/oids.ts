/**
 * The object identifiers of the CMS signatures code signing uses, in one place for the reader (macho/cms.ts) and the
 * writer (sign/cms.ts, sign/timestamp.ts).
 */
export const OIDS = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  timeStampToken: '1.2.840.113549.1.9.16.2.14',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha256WithRSAEncryption: '1.2.840.113549.1.1.11',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  /** Apple's hash agility attribute: an XML plist listing every CodeDirectory's hash (20 bytes). */
  appleCdHashesPlist: '1.2.840.113635.100.9.1',
  /** Apple's hash agility attribute, version 2: per CodeDirectory, its digest algorithm and full digest. */
  appleCdHashes: '1.2.840.113635.100.9.2',
} as const;
