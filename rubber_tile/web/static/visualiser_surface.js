// The visualiser's surface: the mix laid on the area in perspective, in two stages, like the preview
// (contract A). Mirrored line for line by rubber_tile/visualise/surface.py.
//
// layOut (once per photo, area, mask and tile choice; a few hundred ms): every pixel of the area
// gets its point on the ground, its place on the top-view texture (500 mm tiles, each turned,
// mirrored and shifted its own way, or one seamless pour), how much of it is seam, the photo's
// light on it and its grain; the surface's side shows below the edges facing the camera and the
// ground outside loses the sky that side hides.
// paint (every texture, i.e. every share change; a few ms): one bilinear texture read per pixel
// at the pyramid level its footprint needs, times its light, encoded, over the photo.

import { assumedFocalPx, edgeNormalsY, hash01, photoToPlane, signedDistance } from "./visualiser_geometry.js";
import { ENCODE_STEPS, LINEAR_TO_SRGB, SRGB_TO_LINEAR, boxSum, estimateLight, radii, shadeAt } from "./visualiser_light.js";

export const TILE_MM = 500;
export const SEAM_MM = 3; // the groove between two tiles, bevels included
export const SEAM_DARK = 0.45; // share of the light a seam takes
export const TILE_TONE = 0.04; // each tile a little lighter or darker, up to this share
export const MOTTLE = 0.03; // slow unevenness of the surface, up to this share
export const MOTTLE_MM = 300;
export const RIM_DARK = 0.12; // the surface's edge, a little darker
export const RIM_MM = 15;
// The ground beside the surface loses the sky its side hides: a long wall h high hides (1 - d / sqrt(d^2 + h^2)) / 2
// of the sky from a point d away (half at its foot, 15% at d = h); the sky's share of the light there is
// the light's (visualiser_light.js: sky).
export const CONTACT_REACH_SHARE = 1 / 50; // of the photo's long side, at most
export const EDGE_SOFT_SHARE = 1.5 / 1280; // width of the edge's soft step, of the long side
export const GRAIN_KEEP = 0.9;
export const SIDE_MM = 20; // tiles stand this proud of the ground: their side shows below the edges facing the camera
export const POURED_MM = 15; // a poured surface is laid this thick (10-40 mm): its side shows as tiles' do
export const SIDE_SHADE = 0.5; // a tile's side against its top
export const SNAP_SHARE = 2.5 / 1280; // of the long side: how far the brush's edge snaps to the object it covers

// The rectangle of the photo the layout works on: the outline's box and room for the filters.
export function areaCrop(outline, width, height) {
  const { thin, guide } = radii(width, height);
  const margin = 2 * guide + 4 * thin + 2 + Math.ceil(Math.max(width, height) * CONTACT_REACH_SHARE);
  const xs = outline.map((p) => p[0]);
  const ys = outline.map((p) => p[1]);
  const x0 = Math.max(0, Math.floor(Math.min(...xs)) - margin);
  const y0 = Math.max(0, Math.floor(Math.min(...ys)) - margin);
  const x1 = Math.min(width, Math.ceil(Math.max(...xs)) + margin);
  const y1 = Math.min(height, Math.ceil(Math.max(...ys)) + margin);
  return { x0, y0, width: x1 - x0, height: y1 - y0 };
}

// Per crop pixel: signed distance to the outline (px, positive inside), the y part of its nearest
// edge's outward normal, and the light's weights.
function distances(outline, crop, mask, photoWidth) {
  const size = crop.width * crop.height;
  const distance = new Float64Array(size);
  const facing = new Float64Array(size);
  const weights = new Float64Array(size);
  const normalsY = edgeNormalsY(outline);
  const nearest = {};
  for (let y = 0; y < crop.height; y += 1) {
    for (let x = 0; x < crop.width; x += 1) {
      const i = y * crop.width + x;
      const d = signedDistance(outline, crop.x0 + x + 0.5, crop.y0 + y + 0.5, nearest);
      distance[i] = d;
      facing[i] = normalsY[nearest.edge];
      const masked = mask ? mask[(crop.y0 + y) * photoWidth + crop.x0 + x] >= 128 : false;
      weights[i] = d > 0 && !masked ? 1 : 0;
    }
  }
  return { distance, facing, weights };
}

// A point of the plane and the size of a pixel there, written into `out`: X, Y (mm), w, footprint
// (mm per px, the longer side), the pixel's size across the lines X = const and Y = const (mm) and
// facing the camera (mm), how many px a mm standing up there spans and the side of a square of the
// pixel's area (mm). lens: {focal, middle} (px: the focal length and the middle row).
export function planePoint(matrix, x, y, lens, out = {}) {
  const w = matrix[6] * x + matrix[7] * y + matrix[8];
  const X = (matrix[0] * x + matrix[1] * y + matrix[2]) / w;
  const Y = (matrix[3] * x + matrix[4] * y + matrix[5]) / w;
  const dXdx = (matrix[0] - X * matrix[6]) / w;
  const dXdy = (matrix[1] - X * matrix[7]) / w;
  const dYdx = (matrix[3] - Y * matrix[6]) / w;
  const dYdy = (matrix[4] - Y * matrix[7]) / w;
  out.X = X;
  out.Y = Y;
  out.w = w;
  out.footprint = Math.sqrt(Math.max(dXdx * dXdx + dYdx * dYdx, dXdy * dXdy + dYdy * dYdy));
  out.acrossX = Math.sqrt(dXdx * dXdx + dXdy * dXdy);
  out.acrossY = Math.sqrt(dYdx * dYdx + dYdy * dYdy);
  out.frontal = Math.sqrt(dXdx * dXdx + dYdx * dYdx); // ground mm per px along the photo's rows: its scale facing the camera
  // A camera pitched t below the horizon (the plane's horizon, w = 0, is f tan(t) above the middle row):
  // a mm standing up a row at angle p above the middle spans (cos t + tan p sin t) / frontal px.
  const horizon = matrix[7] !== 0 ? -(matrix[6] * x + matrix[8]) / matrix[7] : -Infinity;
  const pitch = Math.atan((lens.middle - horizon) / lens.focal);
  out.upright = Math.max(0, Math.cos(pitch) + ((lens.middle - y) / lens.focal) * Math.sin(pitch)) / out.frontal;
  // The side of a square as large as the pixel on the ground: how many granules a pixel averages goes
  // with its area, so the texture's level follows it (the longer side would wash the crumb out far off).
  out.spread = Math.sqrt(Math.abs(dXdx * dYdy - dXdy * dYdx));
  return out;
}

// How much of a pixel `across` mm wide, its centre `distance` mm from a line, a band `band` mm wide covers.
export function bandCover(distance, across, band) {
  const overlap = Math.min(distance + across / 2, band / 2) - Math.max(distance - across / 2, -band / 2);
  return Math.max(0, overlap) / across;
}

// Slow value noise on the plane in [-1, 1]: hashed lattice values, bilinear between them. `cell`
// keeps the last lattice cell's four values (neighbouring pixels share them).
export function mottle(X, Y, seed, cell = {}) {
  const gx = X / MOTTLE_MM;
  const gy = Y / MOTTLE_MM;
  const i = Math.floor(gx);
  const j = Math.floor(gy);
  const fx = gx - i;
  const fy = gy - j;
  if (cell.i !== i || cell.j !== j) {
    cell.i = i;
    cell.j = j;
    cell.v00 = 2 * hash01(i, j, seed, 5) - 1;
    cell.v10 = 2 * hash01(i + 1, j, seed, 5) - 1;
    cell.v01 = 2 * hash01(i, j + 1, seed, 5) - 1;
    cell.v11 = 2 * hash01(i + 1, j + 1, seed, 5) - 1;
  }
  return (cell.v00 * (1 - fx) + cell.v10 * fx) * (1 - fy) + (cell.v01 * (1 - fx) + cell.v11 * fx) * fy;
}

// The texture is laid in patches: the plane (or each tile) is a lattice PATCH_MM apart, each lattice
// point draws its own turn or mirror (8 ways) and place on the texture, and each pixel takes one of
// its cell's four points, picked at random in proportion to its sharpened bilinear weight. So the
// texture never shows a repeat, a mirror line or a seam of its own, and still costs one read a pixel.
export const PATCH_MM = 40;

// A weight to the fourth power: the pick favours the nearest lattice point, so patches meet in a narrow band.
function sharpen(weight) {
  const square = weight * weight;
  return square * square;
}

// The salt of a tile's patches (and of the poured surface's: tile 0, 0).
export function tileSalt(i, j, seed) {
  return Math.floor(hash01(i, j, seed, 30) * 4294967296);
}

// A lattice point's draw: its way (8 turns and mirrors) and place on the texture (0-1 of the room);
// `memo` keeps the last one (neighbouring pixels mostly take the same point).
function vertexDraw(i, j, salt, memo) {
  if (memo.i !== i || memo.j !== j || memo.salt !== salt) {
    memo.i = i;
    memo.j = j;
    memo.salt = salt;
    memo.way = Math.floor(hash01(i, j, salt, 21) * 8);
    memo.s = hash01(i, j, salt, 22);
    memo.t = hash01(i, j, salt, 23);
  }
  return memo;
}

// Where (u, v) mm of a surface (salted) falls on the texture (s, t in mm, within [0, fieldMm]); `pick`
// in [0, 1) chooses the lattice point.
export function patchPoint(u, v, salt, fieldMm, pick, out, memo = {}) {
  const gx = u / PATCH_MM;
  const gy = v / PATCH_MM;
  const i = Math.floor(gx);
  const j = Math.floor(gy);
  const fx = gx - i;
  const fy = gy - j;
  const w00 = sharpen((1 - fx) * (1 - fy));
  const w10 = sharpen(fx * (1 - fy));
  const w01 = sharpen((1 - fx) * fy);
  const w11 = sharpen(fx * fy);
  const target = pick * (w00 + w10 + w01 + w11);
  let di = 1;
  let dj = 1;
  if (target < w00) {
    di = 0;
    dj = 0;
  } else if (target < w00 + w10) {
    dj = 0;
  } else if (target < w00 + w10 + w01) {
    di = 0;
  }
  let x = u - (i + di) * PATCH_MM;
  let y = v - (j + dj) * PATCH_MM;
  const draw = vertexDraw(i + di, j + dj, salt, memo);
  if (draw.way & 1) x = -x;
  for (let turn = 0; turn < draw.way >> 1; turn += 1) {
    const swap = x;
    x = y;
    y = -swap;
  }
  const room = fieldMm - 2 * PATCH_MM;
  out.s = x + PATCH_MM + draw.s * room;
  out.t = y + PATCH_MM + draw.t * room;
  return out;
}

// Where a plane point falls on the texture (s, t in mm), its tile's tone and how much of it is seam,
// written into `out`; `pick` in [0, 1) chooses the patch (patchPoint); `memo` keeps the last tile's
// and lattice point's draws.
export function surfacePoint(point, seamless, seed, fieldMm, pick, out = {}, memo = { vertex: {} }) {
  const i = seamless ? 0 : Math.floor(point.X / TILE_MM);
  const j = seamless ? 0 : Math.floor(point.Y / TILE_MM);
  if (memo.i !== i || memo.j !== j || memo.seed !== seed) {
    memo.i = i;
    memo.j = j;
    memo.seed = seed;
    memo.salt = tileSalt(i, j, seed);
    memo.tone = 1 + TILE_TONE * (2 * hash01(i, j, seed, 4) - 1);
  }
  if (seamless) {
    patchPoint(point.X, point.Y, memo.salt, fieldMm, pick, out, memo.vertex);
    out.tone = 1;
    out.seam = 0;
    return out;
  }
  const u = point.X - i * TILE_MM;
  const v = point.Y - j * TILE_MM;
  patchPoint(u, v, memo.salt, fieldMm, pick, out, memo.vertex);
  const coverX = bandCover(Math.min(u, TILE_MM - u), point.acrossX, SEAM_MM);
  const coverY = bandCover(Math.min(v, TILE_MM - v), point.acrossY, SEAM_MM);
  out.tone = memo.tone;
  out.seam = 1 - (1 - coverX) * (1 - coverY);
  return out;
}

// The mask (crop-sized, 0-1) with its edge snapped to the object (a brush drawn a little wide would
// leave a rim of the old ground round it): a masked pixel within r px of the area's unmasked ground is
// laid where its colour is nearer that ground's around it (3r px) than the object's deeper in the mask.
// Worked out over the masked pixels' box and 3r + 1 px round it only: every window that counts lies in it.
export function snapMask(photo, crop, masked, distance, r) {
  let [left, top, right, bottom] = [crop.width, crop.height, -1, -1];
  for (let y = 0; y < crop.height; y += 1) {
    for (let x = 0; x < crop.width; x += 1) {
      if (masked[y * crop.width + x] < 0.5) continue;
      left = Math.min(left, x);
      right = Math.max(right, x);
      top = Math.min(top, y);
      bottom = Math.max(bottom, y);
    }
  }
  if (right < 0) return masked;
  const room = 3 * r + 1;
  const box = { x0: Math.max(0, left - room), y0: Math.max(0, top - room), x1: Math.min(crop.width, right + room + 1), y1: Math.min(crop.height, bottom + room + 1) };
  const inner = { x0: crop.x0 + box.x0, y0: crop.y0 + box.y0, width: box.x1 - box.x0, height: box.y1 - box.y0 };
  const part = (values) => {
    const out = new Float64Array(inner.width * inner.height);
    for (let y = 0; y < inner.height; y += 1) out.set(values.subarray((box.y0 + y) * crop.width + box.x0, (box.y0 + y) * crop.width + box.x1), y * inner.width);
    return out;
  };
  const snapped = snapBox(photo, inner, part(masked), part(distance), r);
  const out = Float64Array.from(masked);
  for (let y = 0; y < inner.height; y += 1) out.set(snapped.subarray(y * inner.width, (y + 1) * inner.width), (box.y0 + y) * crop.width + box.x0);
  return out;
}

function snapBox(photo, crop, masked, distance, r) {
  const { width, height } = crop;
  const size = width * height;
  const ground = new Float64Array(size);
  for (let i = 0; i < size; i += 1) ground[i] = masked[i] < 0.5 && distance[i] > 0 ? 1 : 0;
  const groundNear = boxSum(ground, width, height, r);
  const near = new Uint8Array(size);
  const deep = new Float64Array(size);
  for (let i = 0; i < size; i += 1) {
    const held = masked[i] >= 0.5;
    near[i] = held && groundNear[i] > 0 ? 1 : 0;
    deep[i] = held && !near[i] ? 1 : 0;
  }
  const reach = 3 * r;
  const groundCount = boxSum(ground, width, height, reach);
  const deepCount = boxSum(deep, width, height, reach);
  const toGround = new Float64Array(size);
  const toObject = new Float64Array(size);
  const value = new Float64Array(size);
  const groundValue = new Float64Array(size);
  const deepValue = new Float64Array(size);
  for (let k = 0; k < 3; k += 1) {
    for (let y = 0; y < height; y += 1) {
      for (let x = 0; x < width; x += 1) {
        const i = y * width + x;
        value[i] = photo.data[4 * ((crop.y0 + y) * photo.width + crop.x0 + x) + k];
        groundValue[i] = ground[i] * value[i];
        deepValue[i] = deep[i] * value[i];
      }
    }
    const groundSum = boxSum(groundValue, width, height, reach);
    const deepSum = boxSum(deepValue, width, height, reach);
    for (let i = 0; i < size; i += 1) {
      const groundMean = groundSum[i] / Math.max(groundCount[i], 1);
      const deepMean = deepSum[i] / Math.max(deepCount[i], 1);
      toGround[i] += (value[i] - groundMean) * (value[i] - groundMean);
      toObject[i] += (value[i] - deepMean) * (value[i] - deepMean);
    }
  }
  const out = Float64Array.from(masked);
  for (let i = 0; i < size; i += 1) {
    if (near[i] && groundCount[i] > 0 && deepCount[i] > 0 && toGround[i] < toObject[i]) out[i] = 0;
  }
  return out;
}

// sRGB byte `value` with its light times `factor`, not rounded.
export function darken(value, factor) {
  const v = SRGB_TO_LINEAR[value] * factor;
  return LINEAR_TO_SRGB[Math.floor((v < 1 ? v : 1) * ENCODE_STEPS + 0.5)];
}

// The share of the light the surface's side takes from the ground `awayMm` from its foot, at crop pixel i.
export function skyHidden(awayMm, thickness, light, i) {
  const share = Math.min(1, light.sky / Math.exp(Math.min(0, light.smooth[i] - light.lit)));
  return share * 0.5 * (1 - awayMm / Math.sqrt(awayMm * awayMm + thickness * thickness));
}

function makeArrays(count) {
  return {
    pixels: new Int32Array(count),
    alpha: new Float32Array(count),
    s: new Float64Array(count),
    t: new Float64Array(count),
    footprint: new Float64Array(count),
    mul: [new Float32Array(count), new Float32Array(count), new Float32Array(count)],
    grain: new Float32Array(count),
  };
}

// The stage that does not depend on the texture. photo: {width, height, data: RGBA bytes};
// area: {corners, outline (optional), widthM, depthM}; options: {seamless, seed, mask (photo-sized
// bytes, >= 128 masked; soft values soften the mask's edge), fieldMm}.
export function layOut(photo, area, options) { // long: one pass over the crop, kept together
  const { width, height } = photo;
  const outline = area.outline || area.corners;
  const seed = options.seed >>> 0;
  const toPlane = photoToPlane(area.corners, area.widthM * 1000, area.depthM * 1000);
  const crop = areaCrop(outline, width, height);
  const { distance, facing, weights } = distances(outline, crop, options.mask, width);
  const light = estimateLight(photo, crop, weights);
  const long = Math.max(width, height);
  let masked = new Float64Array(crop.width * crop.height);
  if (options.mask) {
    for (let y = 0; y < crop.height; y += 1) {
      for (let x = 0; x < crop.width; x += 1) masked[y * crop.width + x] = options.mask[(crop.y0 + y) * width + crop.x0 + x] / 255;
    }
    masked = snapMask(photo, crop, masked, distance, Math.max(1, Math.floor(long * SNAP_SHARE + 0.5)));
  }
  const edgeSoft = Math.max(0.5, long * EDGE_SOFT_SHARE);
  const reach = long * CONTACT_REACH_SHARE;
  const lens = { focal: assumedFocalPx(width, height), middle: height / 2 };
  const thickness = options.seamless ? POURED_MM : SIDE_MM;
  const background = new Uint8ClampedArray(photo.data);
  const arrays = makeArrays(crop.width * crop.height);
  const point = {};
  const place = {};
  const cell = {};
  const memo = { vertex: {} };
  const matrix = toPlane.matrix;
  const ground = Math.sign(toPlane.w0);
  const grainScale = Math.sqrt(12) * light.noise * GRAIN_KEEP;
  let count = 0;
  for (let y = 0; y < crop.height; y += 1) {
    for (let x = 0; x < crop.width; x += 1) {
      const i = y * crop.width + x;
      const px = crop.x0 + x;
      const py = crop.y0 + y;
      const d = distance[i];
      if (d < -reach) continue;
      planePoint(matrix, px + 0.5, py + 0.5, lens, point);
      if (Math.sign(point.w) !== ground) continue;
      // The surface's side: below an edge facing the camera, a band as high as the surface is thick.
      const side = facing[i] > 0 ? thickness * point.upright * facing[i] : 0;
      const beyond = Math.max(0, -d);
      const top = Math.min(1, Math.max(0, 0.5 + d / edgeSoft));
      const band = d < 0 && side > 0 ? Math.min(1, Math.max(0, 0.5 + (side - beyond) / edgeSoft)) : 0;
      const alpha = Math.max(top, band) * (1 - masked[i]);
      if (alpha < 1) {
        const contact = 1 - (1 - masked[i]) * skyHidden(Math.max(0, beyond - side) * point.footprint, thickness, light, i);
        const at = 4 * (py * width + px);
        background[at] = darken(photo.data[at], contact);
        background[at + 1] = darken(photo.data[at + 1], contact);
        background[at + 2] = darken(photo.data[at + 2], contact);
      }
      if (alpha <= 0) continue;
      surfacePoint(point, options.seamless, seed, options.fieldMm, hash01(px, py, seed, 13), place, memo);
      const rim = d < 0 && band > top ? SIDE_SHADE : 1 - RIM_DARK * Math.exp((-Math.max(0, d) * point.footprint) / RIM_MM);
      const common = place.tone * (1 - SEAM_DARK * place.seam) * rim * (1 + MOTTLE * mottle(point.X, point.Y, seed, cell));
      arrays.pixels[count] = py * width + px;
      arrays.alpha[count] = alpha;
      arrays.s[count] = place.s;
      arrays.t[count] = place.t;
      arrays.footprint[count] = point.spread;
      arrays.mul[0][count] = shadeAt(light, i, 0) * common;
      arrays.mul[1][count] = shadeAt(light, i, 1) * common;
      arrays.mul[2][count] = shadeAt(light, i, 2) * common;
      arrays.grain[count] = (hash01(px, py, seed, 12) - 0.5) * grainScale;
      count += 1;
    }
  }
  const trim = (array) => array.subarray(0, count);
  return {
    width, height, seed, fieldMm: options.fieldMm, background, light, crop, count,
    pixels: trim(arrays.pixels), alpha: trim(arrays.alpha), s: trim(arrays.s), t: trim(arrays.t),
    footprint: trim(arrays.footprint), mul: arrays.mul.map(trim), grain: trim(arrays.grain), sampling: null,
  };
}

export const FLATTEN_SHARE = 1 / 8; // of the texture's side: the reach of the slow light taken out
export const FLATTEN_LIMITS = [0.5, 2];
// A bilinear read of the level whose texel is as large as the pixel averages about twice the pixel's
// side of ground, washing the crumb's speckle out; half a level finer averages about the pixel's own.
export const LEVEL_BIAS = -0.5;

// Means over 2r+1 values along rows (or, `alongRows` false, columns), mirrored at the ends like the texture.
function runningMean(values, width, height, r, alongRows) {
  const out = new Float64Array(values.length);
  const length = alongRows ? width : height;
  const lines = alongRows ? height : width;
  const step = alongRows ? 1 : width;
  const lineStep = alongRows ? width : 1;
  const prefix = new Float64Array(length + 2 * r + 1);
  for (let line = 0; line < lines; line += 1) {
    const first = line * lineStep;
    for (let k = -r; k < length + r; k += 1) {
      const folded = k < 0 ? -k - 1 : k >= length ? 2 * length - 1 - k : k;
      prefix[k + r + 1] = prefix[k + r] + values[first + folded * step];
    }
    for (let k = 0; k < length; k += 1) out[first + k * step] = (prefix[k + 2 * r + 1] - prefix[k]) / (2 * r + 1);
  }
  return out;
}

// The texture's slow light (the preview's lamp, clumps of one colour) taken out: each texel times
// the mean luminance over the mean around it, so the repeats of the texture show no pattern.
export function flattenFactors(luminance, width, height) {
  let total = 0;
  for (let i = 0; i < luminance.length; i += 1) total += luminance[i];
  const mean = total / luminance.length;
  const rx = Math.floor(width * FLATTEN_SHARE);
  const ry = Math.floor(height * FLATTEN_SHARE);
  const around = runningMean(runningMean(luminance, width, height, rx, true), width, height, ry, false);
  const [low, high] = FLATTEN_LIMITS;
  for (let i = 0; i < around.length; i += 1) around[i] = Math.min(high, Math.max(low, around[i] > 0 ? mean / around[i] : high));
  return around;
}

// The texture's pyramid in linear light: per level its size and first texel in three flat channels.
export function textureAtlas(texture) {
  const levels = [{ width: texture.width, height: texture.height, start: 0 }];
  while (levels.at(-1).width > 1 || levels.at(-1).height > 1) {
    const last = levels.at(-1);
    levels.push({ width: Math.max(1, last.width >> 1), height: Math.max(1, last.height >> 1), start: last.start + last.width * last.height });
  }
  const total = levels.at(-1).start + 1;
  const channels = [new Float32Array(total), new Float32Array(total), new Float32Array(total)];
  const texels = texture.width * texture.height;
  const luminance = new Float64Array(texels);
  const data = texture.data;
  for (let i = 0; i < texels; i += 1) {
    luminance[i] = 0.2126 * SRGB_TO_LINEAR[data[4 * i]] + 0.7152 * SRGB_TO_LINEAR[data[4 * i + 1]] + 0.0722 * SRGB_TO_LINEAR[data[4 * i + 2]];
  }
  const factors = flattenFactors(luminance, texture.width, texture.height);
  const [red, green, blue] = channels;
  for (let i = 0; i < texels; i += 1) {
    red[i] = SRGB_TO_LINEAR[data[4 * i]] * factors[i];
    green[i] = SRGB_TO_LINEAR[data[4 * i + 1]] * factors[i];
    blue[i] = SRGB_TO_LINEAR[data[4 * i + 2]] * factors[i];
  }
  for (let level = 1; level < levels.length; level += 1) {
    const from = levels[level - 1];
    const to = levels[level];
    for (const channel of channels) {
      for (let y = 0; y < to.height; y += 1) {
        const row0 = from.start + Math.min(2 * y, from.height - 1) * from.width;
        const row1 = from.start + Math.min(2 * y + 1, from.height - 1) * from.width;
        const target = to.start + y * to.width;
        for (let x = 0; x < to.width; x += 1) {
          const x0 = Math.min(2 * x, from.width - 1);
          const x1 = Math.min(2 * x + 1, from.width - 1);
          channel[target + x] = (channel[row0 + x0] + channel[row0 + x1] + channel[row1 + x0] + channel[row1 + x1]) / 4;
        }
      }
    }
  }
  return { levels, channels };
}

function fold(q, n) {
  const p = ((q % (2 * n)) + 2 * n) % (2 * n);
  return p < n ? p : 2 * n - p;
}

// Per pixel: the first of its four texels, the steps to the others and the bilinear weights, at
// the level its footprint needs (dithered between the two nearest). Kept per texture size.
export function sampling(layout, levels) {
  const key = `${levels[0].width}x${levels[0].height}`;
  if (layout.sampling && layout.sampling.key === key) return layout.sampling;
  const count = layout.count;
  const out = { key, base: new Int32Array(count), stepX: new Int32Array(count), stepY: new Int32Array(count), fx: new Float32Array(count), fy: new Float32Array(count) };
  const fieldX = layout.fieldMm;
  const fieldY = (layout.fieldMm * levels[0].height) / levels[0].width;
  const first = levels[0].width / fieldX;
  for (let n = 0; n < count; n += 1) {
    const pixel = layout.pixels[n];
    const dither = hash01(pixel % layout.width, Math.floor(pixel / layout.width), layout.seed, 11);
    const lambda = Math.log2(Math.max(layout.footprint[n] * first, 1e-9)) + LEVEL_BIAS;
    const level = levels[Math.min(levels.length - 1, Math.max(0, Math.floor(lambda + dither)))];
    const x = fold((layout.s[n] * level.width) / fieldX, level.width) - 0.5;
    const y = fold((layout.t[n] * level.height) / fieldY, level.height) - 0.5;
    const x0 = Math.floor(x);
    const y0 = Math.floor(y);
    const xa = Math.min(level.width - 1, Math.max(0, x0));
    const xb = Math.min(level.width - 1, Math.max(0, x0 + 1));
    const ya = Math.min(level.height - 1, Math.max(0, y0));
    const yb = Math.min(level.height - 1, Math.max(0, y0 + 1));
    out.base[n] = level.start + ya * level.width + xa;
    out.stepX[n] = xb - xa;
    out.stepY[n] = (yb - ya) * level.width;
    out.fx[n] = x - x0;
    out.fy[n] = y - y0;
  }
  layout.sampling = out;
  return out;
}

// The picture: RGBA bytes of the photo with the texture laid on the area. texture: {width, height,
// data}. `out` may be given; if it already holds this layout's picture (`repaint`), only the area's
// pixels are written again.
export function paint(layout, texture, out = new Uint8ClampedArray(layout.background.length), repaint = false) {
  const atlas = textureAtlas(texture);
  const place = sampling(layout, atlas.levels);
  if (!repaint) out.set(layout.background);
  const [red, green, blue] = atlas.channels;
  const { base, stepX, stepY, fx, fy } = place;
  const { pixels, alpha, grain, background } = layout;
  const [mulR, mulG, mulB] = layout.mul;
  const top = ENCODE_STEPS;
  for (let n = 0; n < layout.count; n += 1) {
    const b = base[n];
    const right = b + stepX[n];
    const down = b + stepY[n];
    const corner = down + stepX[n];
    const wx = fx[n];
    const wy = fy[n];
    const w00 = (1 - wx) * (1 - wy);
    const w10 = wx * (1 - wy);
    const w01 = (1 - wx) * wy;
    const w11 = wx * wy;
    const a = alpha[n];
    const g = grain[n];
    const at = 4 * pixels[n];
    const r = (red[b] * w00 + red[right] * w10 + red[down] * w01 + red[corner] * w11) * mulR[n];
    const gr = (green[b] * w00 + green[right] * w10 + green[down] * w01 + green[corner] * w11) * mulG[n];
    const bl = (blue[b] * w00 + blue[right] * w10 + blue[down] * w01 + blue[corner] * w11) * mulB[n];
    out[at] = a * (LINEAR_TO_SRGB[Math.floor((r < 1 ? r : 1) * top + 0.5)] + g) + (1 - a) * background[at];
    out[at + 1] = a * (LINEAR_TO_SRGB[Math.floor((gr < 1 ? gr : 1) * top + 0.5)] + g) + (1 - a) * background[at + 1];
    out[at + 2] = a * (LINEAR_TO_SRGB[Math.floor((bl < 1 ? bl : 1) * top + 0.5)] + g) + (1 - a) * background[at + 2];
  }
  return out;
}
