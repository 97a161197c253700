// The visualiser's geometry: the area's plane in the photo. Mirrored line for line by
// rubber_tile/visualise/geometry.py (the same maths, the same checks, the same hash).
//
// The customer marks the area's four corners c0..c3 in order around it; c0 -> c1 is its width,
// c1 -> c2 its depth. A homography H maps the plane (mm, X along the width, Y along the depth,
// c0 at the origin) to the photo (px); its inverse gives each pixel's point on the ground.
// An outline (three or more points, the four corners by default) says where the surface is laid.

// A phone's main camera (35 mm equivalent focal length) held this high: the default area size.
export const ASSUMED_FOCAL_35MM = 26;
export const ASSUMED_CAMERA_HEIGHT_M = 1.6;
export const DEFAULT_SIZE_M = 4;
export const SIZE_LIMITS_M = [0.2, 200];
const FULL_FRAME_DIAGONAL_MM = 43.27;
const MIN_AREA_SHARE = 0.0005; // of the photo: a smaller area is a slip of the finger

// ------------------------------------------------------------ small linear algebra

// The solution of A x = b (A n x n as rows), by Gaussian elimination with partial pivoting; null when singular.
export function solveLinear(matrix, vector) {
  const n = vector.length;
  const a = matrix.map((row, i) => [...row, vector[i]]);
  for (let column = 0; column < n; column += 1) {
    let pivot = column;
    for (let row = column + 1; row < n; row += 1) if (Math.abs(a[row][column]) > Math.abs(a[pivot][column])) pivot = row;
    if (Math.abs(a[pivot][column]) < 1e-12) return null;
    [a[column], a[pivot]] = [a[pivot], a[column]];
    for (let row = column + 1; row < n; row += 1) {
      const factor = a[row][column] / a[column][column];
      for (let k = column; k <= n; k += 1) a[row][k] -= factor * a[column][k];
    }
  }
  const x = new Array(n).fill(0);
  for (let row = n - 1; row >= 0; row -= 1) {
    let rest = a[row][n];
    for (let k = row + 1; k < n; k += 1) rest -= a[row][k] * x[k];
    x[row] = rest / a[row][row];
  }
  return x;
}

// 3x3 matrices as 9-element arrays, row-major.
export function multiply3(a, b) {
  const c = new Array(9).fill(0);
  for (let i = 0; i < 3; i += 1) for (let j = 0; j < 3; j += 1) for (let k = 0; k < 3; k += 1) c[3 * i + j] += a[3 * i + k] * b[3 * k + j];
  return c;
}

export function invert3(m) {
  const [a, b, c, d, e, f, g, h, i] = m;
  const co = [e * i - f * h, c * h - b * i, b * f - c * e, f * g - d * i, a * i - c * g, c * d - a * f, d * h - e * g, b * g - a * h, a * e - b * d];
  const det = a * co[0] + b * co[3] + c * co[6];
  return co.map((v) => v / det);
}

export function apply3(m, x, y) {
  const w = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w, w];
}

// The homography taking the unit square's corners (0,0), (1,0), (1,1), (0,1) to `corners`.
export function squareToQuad(corners) {
  const square = [[0, 0], [1, 0], [1, 1], [0, 1]];
  const rows = [];
  const values = [];
  square.forEach(([u, v], k) => {
    const [x, y] = corners[k];
    rows.push([u, v, 1, 0, 0, 0, -u * x, -v * x]);
    values.push(x);
    rows.push([0, 0, 0, u, v, 1, -u * y, -v * y]);
    values.push(y);
  });
  const h = solveLinear(rows, values);
  return h ? [...h, 1] : null;
}

// ------------------------------------------------------------ checks

function cross(o, a, b) {
  return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
}

function segmentsCross(p, q, r, s) {
  const d1 = cross(r, s, p);
  const d2 = cross(r, s, q);
  const d3 = cross(p, q, r);
  const d4 = cross(p, q, s);
  return d1 * d2 < 0 && d3 * d4 < 0;
}

export function polygonArea(points) {
  let sum = 0;
  points.forEach((p, i) => {
    const q = points[(i + 1) % points.length];
    sum += p[0] * q[1] - q[0] * p[1];
  });
  return sum / 2;
}

// The first problem with these corners as {code, corner?}, or null. Codes: count, number, outside,
// crossing, concave, small. The page and the command line say them in their own words.
export function cornerProblem(corners, width, height) {
  if (!Array.isArray(corners) || corners.length !== 4) return { code: "count", count: Array.isArray(corners) ? corners.length : 0 };
  for (let k = 0; k < 4; k += 1) {
    const [x, y] = corners[k];
    if (!Number.isFinite(x) || !Number.isFinite(y)) return { code: "number", corner: k };
    if (x < 0 || y < 0 || x > width || y > height) return { code: "outside", corner: k };
  }
  if (segmentsCross(corners[0], corners[1], corners[2], corners[3]) || segmentsCross(corners[1], corners[2], corners[3], corners[0])) {
    return { code: "crossing" };
  }
  const turns = corners.map((p, k) => cross(p, corners[(k + 1) % 4], corners[(k + 2) % 4]));
  const sign = Math.sign(turns.reduce((a, b) => a + b, 0));
  const inward = turns.findIndex((t) => Math.sign(t) !== sign);
  if (inward >= 0) return { code: "concave", corner: (inward + 1) % 4 };
  if (Math.abs(polygonArea(corners)) < MIN_AREA_SHARE * width * height) return { code: "small" };
  return null;
}

// The first problem with an outline (three or more points, not self-crossing, in the photo, on the
// ground side of the plane's horizon), or null.
export function outlineProblem(outline, width, height, toPlane) {
  if (!Array.isArray(outline) || outline.length < 3) return { code: "outline_count" };
  for (let k = 0; k < outline.length; k += 1) {
    const [x, y] = outline[k];
    if (!Number.isFinite(x) || !Number.isFinite(y)) return { code: "number", point: k };
    if (x < 0 || y < 0 || x > width || y > height) return { code: "outside", point: k };
  }
  const n = outline.length;
  for (let i = 0; i < n; i += 1) {
    for (let j = i + 2; j < n; j += 1) {
      if (i === 0 && j === n - 1) continue;
      if (segmentsCross(outline[i], outline[(i + 1) % n], outline[j], outline[(j + 1) % n])) return { code: "crossing" };
    }
  }
  const centre = toPlane.w0;
  for (let k = 0; k < n; k += 1) {
    const w = apply3(toPlane.matrix, outline[k][0], outline[k][1])[2];
    if (Math.sign(w) !== Math.sign(centre)) return { code: "horizon", point: k };
  }
  if (Math.abs(polygonArea(outline)) < MIN_AREA_SHARE * width * height) return { code: "small" };
  return null;
}

// ------------------------------------------------------------ the plane

// The focal length in px of a phone's main camera (ASSUMED_FOCAL_35MM) for a photo this size.
export function assumedFocalPx(width, height) {
  return (ASSUMED_FOCAL_35MM * Math.hypot(width, height)) / FULL_FRAME_DIAGONAL_MM;
}

// The area's size in metres from its corners alone, for a phone camera (ASSUMED_FOCAL_35MM) held
// ASSUMED_CAMERA_HEIGHT_M above the ground: {width, depth}, or null where the corners say nothing.
export function estimateAreaSize(corners, width, height) {
  const square = squareToQuad(corners);
  if (!square) return null;
  const focal = assumedFocalPx(width, height);
  const inverseK = [1 / focal, 0, -width / 2 / focal, 0, 1 / focal, -height / 2 / focal, 0, 0, 1];
  const m = multiply3(inverseK, square);
  const h1 = [m[0], m[3], m[6]];
  const h2 = [m[1], m[4], m[7]];
  const h3 = [m[2], m[5], m[8]];
  const n1 = Math.hypot(...h1);
  const n2 = Math.hypot(...h2);
  const normal = [h1[1] * h2[2] - h1[2] * h2[1], h1[2] * h2[0] - h1[0] * h2[2], h1[0] * h2[1] - h1[1] * h2[0]];
  const normalLength = Math.hypot(...normal);
  const reach = Math.abs(normal[0] * h3[0] + normal[1] * h3[1] + normal[2] * h3[2]) / normalLength;
  if (!(reach > 0) || !(n1 > 0) || !(n2 > 0)) return null;
  const size = { width: (n1 * ASSUMED_CAMERA_HEIGHT_M) / reach, depth: (n2 * ASSUMED_CAMERA_HEIGHT_M) / reach };
  const [low, high] = SIZE_LIMITS_M;
  if (!(size.width >= low && size.width <= high && size.depth >= low && size.depth <= high)) return null;
  return { width: Math.round(size.width * 10) / 10, depth: Math.round(size.depth * 10) / 10 };
}

// Photo px -> plane mm: {matrix, w0 (the homogeneous w at the corners' centre, whose sign is the ground's)}.
export function photoToPlane(corners, widthMm, depthMm) {
  const square = squareToQuad(corners);
  const toSquare = invert3(square);
  const matrix = multiply3([widthMm, 0, 0, 0, depthMm, 0, 0, 0, 1], toSquare);
  const cx = corners.reduce((s, p) => s + p[0], 0) / 4;
  const cy = corners.reduce((s, p) => s + p[1], 0) / 4;
  return { matrix, w0: apply3(matrix, cx, cy)[2] };
}

// ------------------------------------------------------------ hashing (the same bits in Python)

function lowbias32(value) {
  let x = value >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  x ^= x >>> 16;
  return x >>> 0;
}

// A number in [0, 1) from four whole numbers (negative ones taken modulo 2^32).
export function hash01(a, b, c, d) {
  let h = lowbias32(d);
  h = lowbias32((h ^ c) >>> 0);
  h = lowbias32((h ^ b) >>> 0);
  h = lowbias32((h ^ a) >>> 0);
  return h / 4294967296;
}

// The outward normals' y parts of a polygon's edges (edge k runs from point k-1 to point k):
// positive where an edge faces down the photo, towards the camera.
export function edgeNormalsY(points) {
  const n = points.length;
  const cx = points.reduce((sum, p) => sum + p[0], 0) / n;
  const cy = points.reduce((sum, p) => sum + p[1], 0) / n;
  return points.map((b, i) => {
    const a = points[(i + n - 1) % n];
    const ex = b[0] - a[0];
    const ey = b[1] - a[1];
    const length = Math.sqrt(ex * ex + ey * ey);
    const outward = ey * ((a[0] + b[0]) / 2 - cx) - ex * ((a[1] + b[1]) / 2 - cy) >= 0 ? 1 : -1;
    return (-ex / length) * outward;
  });
}

// Signed distance (px) from (x, y) to a closed polygon, positive inside; `out.edge` gets the nearest edge.
export function signedDistance(points, x, y, out = {}) {
  let best = Infinity;
  let inside = false;
  const n = points.length;
  for (let i = 0, j = n - 1; i < n; j = i, i += 1) {
    const ax = points[j][0];
    const ay = points[j][1];
    const bx = points[i][0];
    const by = points[i][1];
    const ex = bx - ax;
    const ey = by - ay;
    const t = Math.min(1, Math.max(0, ((x - ax) * ex + (y - ay) * ey) / (ex * ex + ey * ey)));
    const dx = x - (ax + t * ex);
    const dy = y - (ay + t * ey);
    const squared = dx * dx + dy * dy;
    if (squared < best) {
      best = squared;
      out.edge = i;
    }
    if (ay > y !== by > y && x < ((bx - ax) * (y - ay)) / (by - ay) + ax) inside = !inside;
  }
  const distance = Math.sqrt(best);
  return inside ? distance : -distance;
}
