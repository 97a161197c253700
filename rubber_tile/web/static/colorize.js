// Stage 2 of the preview in the browser: a layout (sent once per seed) coloured for a mix, line for line
// as rubber_tile/preview/colorize.py colours it, then the camera's softening, noise and light as camera.expose adds
// them. A slider move costs the server nothing. tests/test_web_live_preview.py checks this picture
// against the server's for the same mix and seed.

const DECODE_KNEE = 0.04045;
const ENCODE_KNEE = 0.0031308;
const WHITE_LIGHTNESS_Y = 903.3; // CIELAB L below 8 is Y = L / 903.3

// The shares as fractions of 1, added left to right as the server adds them.
export function mixFractions(shares) {
  let total = 0;
  for (const share of shares) total += share;
  return shares.map((share) => share / total);
}

// colorize.assign_colors: granules taken in the layout's order; colour k ends at
// B(k) = floor(total * (f0 + ... + fk) + 1/2) of the running area, its last gap filled by the best
// fitting granule among the next `fillWindow` (swapped to the front) when that is closer than the gap.
export function assignColors(area, layoutOrder, fractions, fillWindow) {
  const count = area.length;
  const order = Int32Array.from(layoutOrder);
  const ordered = new Float64Array(count);
  let total = 0;
  for (let i = 0; i < count; i += 1) {
    ordered[i] = area[order[i]];
    total += ordered[i];
  }
  const colors = new Int32Array(count);
  let start = 0;
  let filled = 0;
  let cumulative = 0;
  for (let color = 0; color < fractions.length - 1; color += 1) {
    cumulative += fractions[color];
    const bound = Math.floor(total * cumulative + 0.5);
    let end = start;
    let running = filled;
    while (end < count && running + ordered[end] <= bound) running += ordered[end++];
    const rest = bound - running;
    const windowEnd = Math.min(end + fillWindow, count);
    if (rest > 0 && end < windowEnd) {
      let best = end;
      for (let i = end + 1; i < windowEnd; i += 1) if (Math.abs(ordered[i] - rest) < Math.abs(ordered[best] - rest)) best = i;
      if (Math.abs(ordered[best] - rest) < rest) {
        [order[end], order[best]] = [order[best], order[end]];
        [ordered[end], ordered[best]] = [ordered[best], ordered[end]];
        running += ordered[end];
        end += 1;
      }
    }
    for (let i = start; i < end; i += 1) colors[order[i]] = color;
    filled = running;
    start = end;
  }
  for (let i = start; i < count; i += 1) colors[order[i]] = fractions.length - 1;
  return colors;
}

function srgbToLinear(level) {
  const c = level / 255;
  return c <= DECODE_KNEE ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

function linearToSrgb(linear) {
  const c = Math.min(Math.max(linear, 0), 1);
  return 255 * (c <= ENCODE_KNEE ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);
}

// colorize.binder_row: the mix's average colour in deep shadow, no lighter than the gap, darker at low levels.
export function binderRow(tables, colorIndices, fractions) {
  const { header, arrays } = tables;
  const mix = [0, 0, 0];
  colorIndices.forEach((color, k) => {
    for (let channel = 0; channel < 3; channel += 1) mix[channel] += fractions[k] * srgbToLinear(arrays.srgb[color * 3 + channel]);
  });
  const binder = mix.map((value) => header.binder_factor * value);
  const luminance = binder.reduce((sum, value, channel) => sum + value * header.luminance_weights[channel], 0);
  const darkest = (header.binder_gap_share * header.gap_lightness) / WHITE_LIGHTNESS_Y;
  if (luminance > darkest) for (let channel = 0; channel < 3; channel += 1) binder[channel] *= darkest / luminance;
  const levels = header.levels;
  const row = new Float32Array(levels * 3);
  const step = 0.5 / (levels - 1);
  for (let level = 0; level < levels; level += 1) {
    const light = level === levels - 1 ? 1 : 0.5 + level * step;
    for (let channel = 0; channel < 3; channel += 1) row[level * 3 + channel] = linearToSrgb(light * binder[channel]);
  }
  return row;
}

// colorize.mix_table, RGB interleaved: the colours' rows (colour-major, then variant), binder, background.
export function mixTable(tables, colorIndices, fractions) {
  const { header, arrays } = tables;
  const rowLength = header.levels * 3;
  const perColor = header.variants * rowLength;
  const table = new Float32Array((colorIndices.length * header.variants + 2) * rowLength);
  colorIndices.forEach((color, k) => table.set(arrays.table.subarray(color * perColor, (color + 1) * perColor), k * perColor));
  const binderStart = colorIndices.length * perColor;
  table.set(binderRow(tables, colorIndices, fractions), binderStart);
  table.fill(header.background_srgb, binderStart + rowLength);
  return table;
}

// shading.blur_3 on one plane: (side, 1 - 2 side, side) down the columns, then along the rows, edges repeated.
function blur3(plane, width, height, side, scratch) {
  const middle = 1 - 2 * side;
  for (let y = 0; y < height; y += 1) {
    const up = (y === 0 ? 0 : y - 1) * width;
    const down = (y === height - 1 ? y : y + 1) * width;
    const here = y * width;
    for (let x = 0; x < width; x += 1) scratch[here + x] = Math.fround(Math.fround(plane[up + x] + plane[down + x]) * side) + Math.fround(plane[here + x] * middle);
  }
  for (let y = 0; y < height; y += 1) {
    const row = y * width;
    for (let x = 0; x < width; x += 1) {
      const left = scratch[row + (x === 0 ? 0 : x - 1)];
      const right = scratch[row + (x === width - 1 ? x : x + 1)];
      plane[row + x] = Math.fround(Math.fround(left + right) * side) + Math.fround(scratch[row + x] * middle);
    }
  }
}

// The picture: one table lookup per pixel (row * levels + level), on a granule's edge a second one for the
// granule across it, blended by the pixel's alpha (colorize.blend), then camera.expose's softening
// (each pixel its softness class's share of the way to the 1-2-1 blur), noise, light (bevel and drop
// shadow), +0.5 and the cut to 8 bits. Writes into `pixels` (RGBA, width * height * 4).
export function paint(layout, table, colorOfGranule, variantsPerColor, levels, pixels) {
  const { header, arrays } = layout;
  const width = header.size;
  const count = width * width;
  const background = header.background_code;
  const granuleRow = new Int32Array(arrays.area.length + 1);
  const colorCount = table.length / (levels * 3) - 2;
  granuleRow[0] = colorCount * levels * 3; // code 0: the binder row
  for (let g = 0; g < arrays.area.length; g += 1) granuleRow[g + 1] = (colorOfGranule[g] * variantsPerColor + arrays.variant[g]) * levels * 3;
  const backgroundRow = (colorCount + 1) * levels * 3;
  const planes = [new Float32Array(count), new Float32Array(count), new Float32Array(count)];
  const { code, partner, alpha, level, softness, noise, light } = arrays;
  const blendWeights = Float32Array.from(header.blend_weights);
  const full = header.alpha_full;
  for (let i = 0; i < count; i += 1) {
    const c = code[i];
    const shade = level[i] * 3;
    const at = (c === background ? backgroundRow : granuleRow[c]) + shade;
    let red = table[at];
    let green = table[at + 1];
    let blue = table[at + 2];
    if (alpha[i] !== full) {
      // colorize.blend: own + (partner - own) * weight, in float32, the partner's row at the same level.
      const other = granuleRow[partner[i]] + shade;
      const weight = blendWeights[alpha[i]];
      red = Math.fround(Math.fround(Math.fround(table[other] - red) * weight) + red);
      green = Math.fround(Math.fround(Math.fround(table[other + 1] - green) * weight) + green);
      blue = Math.fround(Math.fround(Math.fround(table[other + 2] - blue) * weight) + blue);
    }
    planes[0][i] = red;
    planes[1][i] = green;
    planes[2][i] = blue;
  }
  const scratch = new Float32Array(count);
  const blurred = new Float32Array(count);
  const weights = Float32Array.from(header.softening);
  const noiseScale = header.noise_scale;
  const lightScale = header.light_scale;
  for (let channel = 0; channel < 3; channel += 1) {
    const plane = planes[channel];
    blurred.set(plane);
    blur3(blurred, width, width, 0.25, scratch);
    for (let i = 0; i < count; i += 1) {
      let value = Math.fround(Math.fround(Math.fround(blurred[i] - plane[i]) * weights[softness[i]]) + plane[i]);
      if (noise) value = Math.fround(value + Math.fround(noise[i] / noiseScale));
      if (light) value = Math.fround(value * Math.fround(1 + light[i] / lightScale));
      pixels[i * 4 + channel] = Math.floor(Math.fround(value + 0.5)); // the server cuts v + 0.5 to 8 bits (the array clamps)
    }
  }
  for (let i = 0; i < count; i += 1) pixels[i * 4 + 3] = 255;
}

// The colour's share of the visible granule area, per colour index, from an assignment (for tests and the page).
export function areaShares(area, colorOfGranule, colorCount) {
  const sums = new Float64Array(colorCount);
  let total = 0;
  for (let g = 0; g < area.length; g += 1) {
    sums[colorOfGranule[g]] += area[g];
    total += area[g];
  }
  return Array.from(sums, (sum) => (100 * sum) / total);
}
