/**
 * Compiles the internal requirements codesign embeds (code-signature slot 2) to Apple's binary requirement language.
 *
 * Contract: `internalRequirements(identifier, identity)` returns the whole Requirements blob (0xfade0c01). Ad hoc it
 * is the empty set `fade0c01 0000000c 00000000`, as `codesign -s -` writes (Security's DRMaker makes no designated
 * requirement without certificates). With an identity it holds one designated requirement (type 3), written as
 * Security's `DRMaker` writes it:
 *   - Developer ID Application: `identifier "ID" and anchor apple generic and certificate 1[field.1.2.840.113635.
 *     100.6.2.6] exists and certificate leaf[field.1.2.840.113635.100.6.1.13] exists and certificate leaf[subject.OU]
 *     = "TEAM"`;
 *   - Apple Development / Apple Distribution (issued by Apple's WWDR intermediate, OID 6.2.1): `identifier "ID" and
 *     anchor apple generic and certificate leaf[subject.CN] = "CN" and certificate 1[field.1.2.840.113635.100.6.2.1]
 *     exists`;
 *   - any other certificate: DRMaker's non-Apple form: walk up from the leaf while the issuer's subject O equals the
 *     leaf's; pin that certificate by SHA-1: `identifier "ID" and certificate <slot> = H"<sha1>"`, where the slot is
 *     `root` when the walk reached the last certificate given, and `leaf` when the leaf has no O. (rcodesign and quill
 *     write only Apple's Developer ID form or none; this follows Security's drmaker.cpp.)
 * The kind comes from the leaf's Apple extension OIDs, not from the chain, so a test chain that carries Developer ID's
 * leaf OID gets Developer ID's requirement (in real life only Apple issues such leaves).
 * Opcodes and match operators are Security's `requirement.h`; operands are a u32 length and bytes padded to 4.
 */
import { createHash } from 'node:crypto';
import { InputError } from '../errors';
import { readCertificateDer } from '../macho/certificate';
import { name, nameAttribute, readNode } from '../macho/der';
import { CSMAGIC_REQUIREMENT, CSMAGIC_REQUIREMENTS } from '../macho/format';
import type { SigningIdentity } from './types';

const OP = {
  ident: 2,
  appleAnchor: 3,
  anchorHash: 4,
  and: 6,
  certField: 11,
  certGeneric: 14,
  appleGenericAnchor: 15,
} as const;
const MATCH_EXISTS = 0;
const MATCH_EQUAL = 1;
const LEAF = 0;
const ANCHOR = -1;
const EXPR_FORM = 1;
const DESIGNATED_REQUIREMENT = 3;

/** DER content bytes of Apple's marker OIDs 1.2.840.113635.100.6.x.y. */
const appleOid = (...arcs: number[]) => Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x06, ...arcs]);
const DEVELOPER_ID_CA_MARKER = appleOid(2, 6);
const DEVELOPER_ID_LEAF_MARKER = appleOid(1, 13);
const WWDR_CA_MARKER = appleOid(2, 1);

/** Writes an expression in prefix order, as Security's Requirement::Maker does. */
class Expression {
  private readonly parts: Buffer[] = [];
  op(value: number): this {
    const word = Buffer.alloc(4);
    word.writeInt32BE(value);
    this.parts.push(word);
    return this;
  }
  data(bytes: Buffer | string): this {
    const body = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    this.op(body.length);
    this.parts.push(body, Buffer.alloc((4 - (body.length % 4)) % 4));
    return this;
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function requirementBlob(expression: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt32BE(CSMAGIC_REQUIREMENT, 0);
  header.writeUInt32BE(12 + expression.length, 4);
  header.writeUInt32BE(EXPR_FORM, 8);
  return Buffer.concat([header, expression]);
}

/** A Requirements set: count, index of (type, offset), then each requirement blob, offsets from the set's start. */
export function requirementSet(entries: [type: number, requirement: Buffer][]): Buffer {
  const sorted = [...entries].sort((a, b) => a[0] - b[0]);
  const headerSize = 12 + 8 * sorted.length;
  const header = Buffer.alloc(headerSize);
  header.writeUInt32BE(CSMAGIC_REQUIREMENTS, 0);
  header.writeUInt32BE(headerSize + sorted.reduce((n, [, r]) => n + r.length, 0), 4);
  header.writeUInt32BE(sorted.length, 8);
  let offset = headerSize;
  sorted.forEach(([type, requirement], i) => {
    header.writeUInt32BE(type, 12 + 8 * i);
    header.writeUInt32BE(offset, 16 + 8 * i);
    offset += requirement.length;
  });
  return Buffer.concat([header, ...sorted.map(([, r]) => r)]);
}

const subjectOf = (der: Buffer) => {
  const cert = readCertificateDer(der, 'the signing certificate');
  return name(cert.subjectRaw, readNode(cert.subjectRaw, 0));
};

/** The designated requirement codesign derives for `identity` (a single 0xfade0c00 blob). */
export function designatedRequirement(identifier: string, identity: SigningIdentity): Buffer {
  const e = new Expression().op(OP.and).op(OP.ident).data(identifier);
  switch (identity.kind) {
    case 'developer-id-application': {
      if (!identity.teamId) throw new InputError('the Developer ID certificate has no team ID in its subject OU');
      e.op(OP.and).op(OP.appleGenericAnchor);
      e.op(OP.and).op(OP.certGeneric).op(1).data(DEVELOPER_ID_CA_MARKER).op(MATCH_EXISTS);
      e.op(OP.and).op(OP.certGeneric).op(LEAF).data(DEVELOPER_ID_LEAF_MARKER).op(MATCH_EXISTS);
      e.op(OP.certField).op(LEAF).data('subject.OU').op(MATCH_EQUAL).data(identity.teamId);
      break;
    }
    case 'apple-development':
    case 'apple-distribution': {
      e.op(OP.and).op(OP.appleGenericAnchor);
      e.op(OP.and).op(OP.certField).op(LEAF).data('subject.CN').op(MATCH_EQUAL).data(identity.commonName);
      e.op(OP.certGeneric).op(1).data(WWDR_CA_MARKER).op(MATCH_EXISTS);
      break;
    }
    case 'developer-id-installer':
    case 'mac-installer-distribution':
      throw new InputError(`"${identity.commonName}" is an installer certificate: it signs packages, not code`);
    default: {
      const certs = [identity.certificate, ...identity.chain];
      const organization = (der: Buffer) => nameAttribute(subjectOf(der), '2.5.4.10');
      const leafOrganization = organization(identity.certificate);
      let slot = LEAF;
      if (leafOrganization !== null) {
        while (slot + 1 < certs.length && organization(certs[slot + 1]) === leafOrganization) slot++;
        if (slot === certs.length - 1) slot = ANCHOR;
      }
      const pinned = certs[slot === ANCHOR ? certs.length - 1 : slot];
      e.op(OP.anchorHash).op(slot).data(createHash('sha1').update(pinned).digest());
    }
  }
  return requirementBlob(e.bytes());
}

/** The Requirements blob for slot 2: empty ad hoc, else the designated requirement alone. */
export function internalRequirements(identifier: string, identity: SigningIdentity | null): Buffer {
  if (!identity) return requirementSet([]);
  return requirementSet([[DESIGNATED_REQUIREMENT, designatedRequirement(identifier, identity)]]);
}
