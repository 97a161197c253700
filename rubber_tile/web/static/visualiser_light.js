// The visualiser's light: how the photo lights the area, so the laid surface takes the same light.
// Mirrored line for line by rubber_tile/visualise/light.py.
//
// 1. Log luminance of the photo (linear light), thin dark and bright lines (joints, cracks, paint)
//    taken out by a closing and an opening of THIN_RADIUS px: they belong to the old ground, not
//    to its light.
// 2. An edge-keeping smoothing of it over the area (a guided filter, weighted to the area's pixels
//    and away from masked objects): a shadow keeps its edge, the old ground's grain goes. Steps 1-3
//    work at half the resolution (the light is smooth) and come back bilinearly.
// 3. The shading: that smoothed luminance over the lit level (LIT_PERCENTILE of the area), so a
//    cast shadow darkens the surface by the photo's own ratio. The light's colour follows it: how
//    each channel's chromaticity changes with the light over the area (a shadow lit by the blue sky
//    alone is bluer) is fitted by least squares and applied to the surface.
// 4. The light's level: what a white surface would show where the area is lit. The lit ground's
//    luminance over GROUND_ALBEDO (the mean reflectance photographers meter for: the ground is taken
//    to be a middle grey), at most WHITE_LIMIT (a photo exposed so that white does not clip). So a
//    surface is as much brighter than the ground as its albedo is above a middle grey, and a dim photo
//    lights it dimly. The photo's white balance (shades of grey over the photo) tints it a little.
// 5. The photo's noise (from the flattest parts of the area), added to the surface as grain.

export const LOG_FLOOR = Math.log(1 / 4096);
export const THIN_RADIUS_SHARE = 1 / 640; // of the photo's long side
export const GUIDE_RADIUS_SHARE = 1 / 40; // measured best of 1/160, 1/80, 1/40 (scripts/eval/visualiser_light_error.py)
export const GUIDE_EPS = 0.01; // log-luminance variance below which the filter smooths
export const WEIGHT_FLOOR = 1e-3; // weight of pixels outside the area (masked ones fill from the rest)
export const LIT_PERCENTILE = 0.9;
export const LIT_BAND = 0.15; // log units below the lit level still counted as lit
export const CHROMA_KEEP = 0.7;
export const TINT_MIN_VARIANCE = 0.01; // of smoothed log luminance over the area: below it no tint is fitted
export const TINT_LIMIT = 0.3;
export const WB_KEEP = 0.5;
export const WB_LIMITS = [0.85, 1.15];
export const SHADE_LIMITS = [0.005, 1.6];
export const GROUND_ALBEDO = 0.18;
export const WHITE_LIMIT = 1;
export const SHADOW_PERCENTILE = 0.1;
export const SHADOW_DEEP = 0.6; // of the lit level: a shadow this deep in the area is the sky's light alone
export const SKY_SHARE = 0.3; // the sky's share of the lit level's light where the area shows no such shadow: a clear day's, sun 30-60 deg up
export const NOISE_LIMIT = 6;
const HIST_BINS = 2048;
const SCENE_STEP = 2;

export const SRGB_TO_LINEAR = new Float32Array(256).map((_, i) => {
  const c = i / 255;
  return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
});

// linear 0..1 -> sRGB 0..255 (not rounded), at ENCODE_STEPS + 1 points: index round(v * ENCODE_STEPS).
export const ENCODE_STEPS = 4095;
export const LINEAR_TO_SRGB = new Float32Array(ENCODE_STEPS + 1).map((_, i) => {
  const v = i / ENCODE_STEPS;
  return 255 * (v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055);
});

export function radii(width, height) {
  const long = Math.max(width, height);
  return { thin: Math.max(1, Math.round(long * THIN_RADIUS_SHARE)), guide: Math.max(2, Math.round(long * GUIDE_RADIUS_SHARE)) };
}

// Sums over the (2r+1)^2 window around every pixel, cut at the image's edges (an integral image).
export function boxSum(values, width, height, r) {
  const stride = width + 1;
  const integral = new Float64Array(stride * (height + 1));
  for (let y = 0; y < height; y += 1) {
    let row = 0;
    for (let x = 0; x < width; x += 1) {
      row += values[y * width + x];
      integral[(y + 1) * stride + x + 1] = integral[y * stride + x + 1] + row;
    }
  }
  const out = new Float64Array(width * height);
  for (let y = 0; y < height; y += 1) {
    const y0 = Math.max(0, y - r) * stride;
    const y1 = Math.min(height, y + r + 1) * stride;
    for (let x = 0; x < width; x += 1) {
      const x0 = Math.max(0, x - r);
      const x1 = Math.min(width, x + r + 1);
      out[y * width + x] = integral[y1 + x1] - integral[y0 + x1] - integral[y1 + x0] + integral[y0 + x0];
    }
  }
  return out;
}

// Max (or min, `sign` -1) over the (2r+1)^2 window, cut at the edges: rows, then columns.
function extremum(values, width, height, r, sign) {
  const rows = new Float64Array(values.length);
  for (let y = 0; y < height; y += 1) {
    const row = y * width;
    for (let x = 0; x < width; x += 1) {
      let best = values[row + x];
      const end = Math.min(width - 1, x + r);
      for (let k = Math.max(0, x - r); k <= end; k += 1) {
        const v = values[row + k];
        if (sign > 0 ? v > best : v < best) best = v;
      }
      rows[row + x] = best;
    }
  }
  const out = new Float64Array(values.length);
  for (let y = 0; y < height; y += 1) {
    const end = Math.min(height - 1, y + r);
    for (let x = 0; x < width; x += 1) {
      let best = rows[y * width + x];
      for (let k = Math.max(0, y - r); k <= end; k += 1) {
        const v = rows[k * width + x];
        if (sign > 0 ? v > best : v < best) best = v;
      }
      out[y * width + x] = best;
    }
  }
  return out;
}

// A closing (thin dark lines out) and then an opening (thin bright lines out).
export function withoutThinLines(values, width, height, r) {
  const closed = extremum(extremum(values, width, height, r, 1), width, height, r, -1);
  return extremum(extremum(closed, width, height, r, -1), width, height, r, 1);
}

// The weighted mean over each pixel's window: box(w f) / box(w).
function weightedMean(values, weights, weightSums, width, height, r) {
  const product = new Float64Array(values.length);
  for (let i = 0; i < values.length; i += 1) product[i] = weights[i] * values[i];
  const sums = boxSum(product, width, height, r);
  for (let i = 0; i < sums.length; i += 1) sums[i] /= weightSums[i];
  return sums;
}

// The guided filter (He, Sun and Tang) of `input` with `guide`, its means weighted by `weights`.
export function guidedFilter(guide, input, weights, width, height, r, eps) {
  const weightSums = boxSum(weights, width, height, r);
  const mean = (values) => weightedMean(values, weights, weightSums, width, height, r);
  const meanGuide = mean(guide);
  const meanInput = input === guide ? meanGuide : mean(input);
  const cross = new Float64Array(guide.length);
  const square = new Float64Array(guide.length);
  for (let i = 0; i < guide.length; i += 1) {
    cross[i] = guide[i] * input[i];
    square[i] = guide[i] * guide[i];
  }
  const meanCross = mean(cross);
  const meanSquare = input === guide ? meanCross : mean(square);
  const a = new Float64Array(guide.length);
  const b = new Float64Array(guide.length);
  for (let i = 0; i < guide.length; i += 1) {
    const variance = meanSquare[i] - meanGuide[i] * meanGuide[i];
    a[i] = (meanCross[i] - meanGuide[i] * meanInput[i]) / (variance + eps);
    b[i] = meanInput[i] - a[i] * meanGuide[i];
  }
  const meanA = mean(a);
  const meanB = mean(b);
  const out = new Float64Array(guide.length);
  for (let i = 0; i < guide.length; i += 1) out[i] = meanA[i] * guide[i] + meanB[i];
  return out;
}

// The value under which `share` of the chosen values (`chosen`: bytes, 1 = chosen; null: all) lie,
// to a bin of a HIST_BINS histogram over [low, high].
export function percentile(values, chosen, share, low, high) {
  const counts = new Float64Array(HIST_BINS);
  let total = 0;
  const scale = HIST_BINS / (high - low);
  for (let i = 0; i < values.length; i += 1) {
    if (chosen && chosen[i] !== 1) continue;
    const bin = Math.min(HIST_BINS - 1, Math.max(0, Math.floor((values[i] - low) * scale)));
    counts[bin] += 1;
    total += 1;
  }
  if (total === 0) return low;
  let running = 0;
  for (let bin = 0; bin < HIST_BINS; bin += 1) {
    running += counts[bin];
    if (running >= share * total) return low + (bin + 0.5) / scale;
  }
  return high;
}

// The whole photo's light (every SCENE_STEP-th pixel of every SCENE_STEP-th row): its white balance gains (shades of grey, p = 4, a share WB_KEEP of it,
// luminance kept) and its bright level (LIT_PERCENTILE of log luminance).
export function sceneLight(photo) {
  const { data } = photo;
  const count = Math.ceil(photo.width / SCENE_STEP) * Math.ceil(photo.height / SCENE_STEP);
  let powerR = 0;
  let powerG = 0;
  let powerB = 0;
  let used = 0;
  const logs = new Float64Array(count);
  let i = 0;
  for (let y = 0; y < photo.height; y += SCENE_STEP) {
    for (let x = 0; x < photo.width; x += SCENE_STEP, i += 1) {
      const at = 4 * (y * photo.width + x);
      const r = SRGB_TO_LINEAR[data[at]];
      const g = SRGB_TO_LINEAR[data[at + 1]];
      const b = SRGB_TO_LINEAR[data[at + 2]];
      const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      logs[i] = Math.log(luminance > 1 / 4096 ? luminance : 1 / 4096);
      if (r < 0.95 && g < 0.95 && b < 0.95 && luminance > 0.002) {
        powerR += r * r * (r * r);
        powerG += g * g * (g * g);
        powerB += b * b * (b * b);
        used += 1;
      }
    }
  }
  const estimate = [powerR, powerG, powerB].map((p) => (used ? (p / used) ** 0.25 : 1));
  const average = (estimate[0] + estimate[1] + estimate[2]) / 3;
  const [low, high] = WB_LIMITS;
  const raw = estimate.map((e) => Math.min(high, Math.max(low, (average > 0 ? e / average : 1) ** WB_KEEP)));
  const luminance = 0.2126 * raw[0] + 0.7152 * raw[1] + 0.0722 * raw[2];
  return { gain: raw.map((g) => g / luminance), bright: percentile(logs, null, LIT_PERCENTILE, LOG_FLOOR, 0) };
}

// The crop at half its resolution (2 x 2 means of linear light; the last row or column repeated where
// odd): log luminance, log chromaticity per channel, and the weights' means. The light is smooth, so
// it is worked out there, at a quarter of the cost.
export function halfCrop(photo, crop, weights) {
  const width = Math.ceil(crop.width / 2);
  const height = Math.ceil(crop.height / 2);
  const size = width * height;
  const luminance = new Float64Array(size);
  const chroma = [new Float64Array(size), new Float64Array(size), new Float64Array(size)];
  const halfWeights = new Float64Array(size);
  const data = photo.data;
  const floor = 1 / 4096;
  const rgb = [0, 0, 0];
  for (let i = 0; i < height; i += 1) {
    const rows = [2 * i, Math.min(2 * i + 1, crop.height - 1)];
    for (let j = 0; j < width; j += 1) {
      const columns = [2 * j, Math.min(2 * j + 1, crop.width - 1)];
      rgb[0] = 0;
      rgb[1] = 0;
      rgb[2] = 0;
      let weight = 0;
      for (const y of rows) {
        for (const x of columns) {
          const source = 4 * ((crop.y0 + y) * photo.width + crop.x0 + x);
          rgb[0] += SRGB_TO_LINEAR[data[source]];
          rgb[1] += SRGB_TO_LINEAR[data[source + 1]];
          rgb[2] += SRGB_TO_LINEAR[data[source + 2]];
          weight += weights[y * crop.width + x];
        }
      }
      const at = i * width + j;
      const r = rgb[0] / 4;
      const g = rgb[1] / 4;
      const b = rgb[2] / 4;
      const sum = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      const l = Math.log(sum > floor ? sum : floor);
      luminance[at] = l;
      chroma[0][at] = Math.log(r > floor ? r : floor) - l;
      chroma[1][at] = Math.log(g > floor ? g : floor) - l;
      chroma[2][at] = Math.log(b > floor ? b : floor) - l;
      halfWeights[at] = weight / 4;
    }
  }
  return { width, height, luminance, chroma, weights: halfWeights };
}

// A half-resolution field back at the crop's size: bilinear, pixel centres aligned, edges held.
export function upsample(half, width, height, fullWidth, fullHeight) {
  const out = new Float64Array(fullWidth * fullHeight);
  for (let y = 0; y < fullHeight; y += 1) {
    const v = (y + 0.5) / 2 - 0.5;
    const i = Math.floor(v);
    const fy = v - i;
    const i0 = Math.min(height - 1, Math.max(0, i)) * width;
    const i1 = Math.min(height - 1, Math.max(0, i + 1)) * width;
    for (let x = 0; x < fullWidth; x += 1) {
      const u = (x + 0.5) / 2 - 0.5;
      const j = Math.floor(u);
      const fx = u - j;
      const j0 = Math.min(width - 1, Math.max(0, j));
      const j1 = Math.min(width - 1, Math.max(0, j + 1));
      out[y * fullWidth + x] = (half[i0 + j0] * (1 - fx) + half[i0 + j1] * fx) * (1 - fy) + (half[i1 + j0] * (1 - fx) + half[i1 + j1] * fx) * fy;
    }
  }
  return out;
}

// The crop's luma (sRGB levels), for the noise.
function cropLuma(photo, crop) {
  const luma = new Float64Array(crop.width * crop.height);
  const data = photo.data;
  for (let y = 0; y < crop.height; y += 1) {
    for (let x = 0; x < crop.width; x += 1) {
      const source = 4 * ((crop.y0 + y) * photo.width + crop.x0 + x);
      luma[y * crop.width + x] = 0.299 * data[source] + 0.587 * data[source + 1] + 0.114 * data[source + 2];
    }
  }
  return luma;
}

// The photo's noise in sRGB levels: from the quarter of the area's pixels that differ least from
// their four neighbours (the flattest: the old ground's texture does not count as noise).
export function noiseLevel(luma, weights, width, height) {
  const residual = new Float64Array(luma.length);
  const chosen = new Uint8Array(luma.length);
  for (let y = 1; y < height - 1; y += 1) {
    for (let x = 1; x < width - 1; x += 1) {
      const i = y * width + x;
      if (weights[i] < 0.5) continue;
      residual[i] = Math.abs(luma[i] - (luma[i - 1] + luma[i + 1] + luma[i - width] + luma[i + width]) / 4);
      chosen[i] = 1;
    }
  }
  const quarter = percentile(residual, chosen, 0.25, 0, 64);
  // |N(0, s)| has its lower quartile at 0.3186 s; the residual's s is sqrt(1.25) of the noise's.
  return Math.min(NOISE_LIMIT, quarter / 0.3186 / Math.sqrt(1.25));
}

// How each channel's log chromaticity follows the smoothed log luminance over the area: the
// least-squares slopes (0 where the light hardly varies), within TINT_LIMIT.
export function shadowTint(smooth, chroma, inArea) {
  let n = 0;
  let sx = 0;
  let sxx = 0;
  const sy = [0, 0, 0];
  const sxy = [0, 0, 0];
  for (let i = 0; i < smooth.length; i += 1) {
    if (inArea[i] !== 1) continue;
    const x = smooth[i];
    n += 1;
    sx += x;
    sxx += x * x;
    for (let k = 0; k < 3; k += 1) {
      sy[k] += chroma[k][i];
      sxy[k] += x * chroma[k][i];
    }
  }
  const variance = n > 1 ? sxx / n - (sx / n) * (sx / n) : 0;
  if (!(variance >= TINT_MIN_VARIANCE)) return [0, 0, 0];
  return sxy.map((value, k) => Math.min(TINT_LIMIT, Math.max(-TINT_LIMIT, (value / n - (sx / n) * (sy[k] / n)) / variance)));
}

// The area's light: its smoothed log luminance per crop pixel and the figures the surface's light
// factors come from (`shadeAt`). `weights`: 1 on the area's unmasked pixels, 0 elsewhere (crop-sized).
export function estimateLight(photo, crop, weights) {
  const { thin, guide } = radii(photo.width, photo.height);
  const half = halfCrop(photo, crop, weights);
  const cleaned = withoutThinLines(half.luminance, half.width, half.height, Math.max(1, Math.round(thin / 2)));
  const filterWeights = new Float64Array(half.weights.length);
  for (let i = 0; i < filterWeights.length; i += 1) filterWeights[i] = half.weights[i] + WEIGHT_FLOOR;
  const smoothHalf = guidedFilter(cleaned, cleaned, filterWeights, half.width, half.height, Math.max(1, Math.round(guide / 2)), GUIDE_EPS);
  const inArea = new Uint8Array(half.weights.length);
  for (let i = 0; i < inArea.length; i += 1) inArea[i] = half.weights[i] >= 0.5 ? 1 : 0;
  const lit = percentile(smoothHalf, inArea, LIT_PERCENTILE, LOG_FLOOR, 0);
  const tint = shadowTint(smoothHalf, half.chroma, inArea);
  const smooth = upsample(smoothHalf, half.width, half.height, crop.width, crop.height);
  const scene = sceneLight(photo);
  const noise = noiseLevel(cropLuma(photo, crop), weights, crop.width, crop.height);
  const white = Math.min(WHITE_LIMIT, Math.exp(lit) / GROUND_ALBEDO);
  const shadow = Math.exp(percentile(smoothHalf, inArea, SHADOW_PERCENTILE, LOG_FLOOR, 0) - lit);
  const sky = shadow < SHADOW_DEEP ? shadow : SKY_SHARE;
  return { smooth, lit, white, sky, gain: scene.gain, bright: scene.bright, tint, noise };
}

// The linear factor of channel k at crop pixel i: white balance x the light's level x the light there
// against the lit level, its colour shifted by the fitted tint.
export function shadeAt(light, i, k) {
  const value = light.gain[k] * light.white * Math.exp((light.smooth[i] - light.lit) * (1 + CHROMA_KEEP * light.tint[k]));
  return Math.min(SHADE_LIMITS[1], Math.max(SHADE_LIMITS[0], value));
}
