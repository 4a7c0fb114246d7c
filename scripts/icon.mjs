// Draws the extension's marketplace icon, media/icon.png (128x128 RGBA): the activity-bar shield of
// media/signing.svg in Go's gopher blue with a white check mark — a signed, accepted binary. Plain Node (zlib for
// the PNG's deflate stream), so the picture is reproducible: `node scripts/icon.mjs`.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const SIZE = 128;
const SCALE = 5.6; // the 24-unit viewBox of signing.svg, centred
const at = ([x, y]) => [(x - 12) * SCALE + SIZE / 2, (y - 12) * SCALE + SIZE / 2];

function cubic(p0, p1, p2, p3, steps = 24) {
  const points = [];
  for (let i = 1; i <= steps; i++) {
    const t = i / steps,
      u = 1 - t;
    points.push(
      [0, 1].map((k) => u * u * u * p0[k] + 3 * u * u * t * p1[k] + 3 * u * t * t * p2[k] + t * t * t * p3[k]),
    );
  }
  return points;
}

// signing.svg: M12 2l8 3v6c0 5-3.5 9-8 11-4.5-2-8-6-8-11V5z
const shield = [
  [12, 2],
  [20, 5],
  [20, 11],
  ...cubic([20, 11], [20, 16], [16.5, 20], [12, 22]),
  ...cubic([12, 22], [7.5, 20], [4, 16], [4, 11]),
  [4, 5],
].map(at);
const check = [
  [8.3, 12.2],
  [11, 14.9],
  [15.9, 9.4],
].map(at);

function segmentDistance([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax,
    dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - ax - t * dx, py - ay - t * dy);
}

function inside([px, py], polygon) {
  let odd = false;
  for (let i = 0, j = polygon.length - 1; i < polygon.length; j = i++) {
    const [xi, yi] = polygon[i],
      [xj, yj] = polygon[j];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

const edgeDistance = (p, polygon) =>
  Math.min(...polygon.map((a, i) => segmentDistance(p, a, polygon[(i + 1) % polygon.length])));

const RIM = [0x00, 0x7d, 0x9c]; // darker gopher blue
const FACE = [0x00, 0xad, 0xd8]; // Go's gopher blue, #00ADD8
const MARK = [0xff, 0xff, 0xff];

/** The colour at a point, or null outside the shield. */
function colour(p) {
  if (!inside(p, shield)) return null;
  if (Math.min(segmentDistance(p, check[0], check[1]), segmentDistance(p, check[1], check[2])) < 6.2) return MARK;
  return edgeDistance(p, shield) < 5.5 ? RIM : FACE;
}

const SAMPLES = 4; // 4x4 supersampling for smooth edges
const rows = [];
for (let y = 0; y < SIZE; y++) {
  const row = Buffer.alloc(1 + SIZE * 4); // filter byte 0, then RGBA
  for (let x = 0; x < SIZE; x++) {
    const sum = [0, 0, 0];
    let covered = 0;
    for (let sy = 0; sy < SAMPLES; sy++)
      for (let sx = 0; sx < SAMPLES; sx++) {
        const c = colour([x + (sx + 0.5) / SAMPLES, y + (sy + 0.5) / SAMPLES]);
        if (!c) continue;
        covered++;
        for (let k = 0; k < 3; k++) sum[k] += c[k];
      }
    if (covered)
      row.set([...sum.map((v) => Math.round(v / covered)), Math.round((255 * covered) / SAMPLES ** 2)], 1 + x * 4);
  }
  rows.push(row);
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => (buf.reduce((c, b) => crcTable[(c ^ b) & 0xff] ^ (c >>> 8), 0xffffffff) ^ 0xffffffff) >>> 0;

function chunk(type, data) {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header.set([8, 6, 0, 0, 0], 8); // 8-bit depth, RGBA, deflate, no filter method variants, no interlace
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
writeFileSync(new URL('../media/icon.png', import.meta.url), png);
console.log(`media/icon.png: ${SIZE}x${SIZE}, ${png.length} bytes`);
