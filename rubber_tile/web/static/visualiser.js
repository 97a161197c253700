// The visualiser: the customer's own photo with the mix laid on the area he marks, drawn on a canvas.
// Its own module, with no dependency on the page's other scripts:
//
//   const view = createVisualiser(canvas);
//   view.setPhoto(bitmapOrCanvas);                         // already scaled (visualiser_photo.js)
//   view.setArea({ corners, outline, widthM, depthM });    // photo px, metres
//   view.setOptions({ seamless: false, seed: 42 });         // 500 x 500 mm tiles or a poured surface
//   view.setMask(bytes);                                    // photo-sized, >= 128: keep the photo
//   view.setTexture(canvas, fieldMm);                       // the live top view and the mm it shows
//   view.draw();                                            // lays out when needed, then paints
//
// The maths is in visualiser_geometry.js, visualiser_light.js and visualiser_surface.js (mirrored in
// rubber_tile/visualise/). It runs on the CPU over typed arrays: the layout keeps per pixel
// everything but the texture, so a share change only reads the texture again (a few ms at 1280 px),
// and the result is the same picture the Python counterpart makes.

import { cornerProblem, estimateAreaSize, outlineProblem, photoToPlane } from "./visualiser_geometry.js";
import { layOut, paint } from "./visualiser_surface.js";

export { cornerProblem, estimateAreaSize, outlineProblem };
// The width of tile face the page's full-frame top view shows (rubber_tile/preview/settings.py:
// a 140 mm face at FULL_FRAME_FIELD_SHARE 0.87).
export const FULL_FRAME_FIELD_MM = 140 * 0.87;

// RGBA bytes of any drawable (ImageBitmap, canvas, img, ImageData) at its own size.
export function pixelsOf(source) {
  if (source instanceof ImageData) return source;
  const width = source.naturalWidth || source.width;
  const height = source.naturalHeight || source.height;
  const canvas = typeof OffscreenCanvas === "function" ? new OffscreenCanvas(width, height) : Object.assign(document.createElement("canvas"), { width, height });
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.drawImage(source, 0, 0);
  return context.getImageData(0, 0, width, height);
}

// The first problem of an area for this photo ({code, corner?, point?}), or null.
export function areaProblem(area, width, height) {
  const corners = cornerProblem(area.corners, width, height);
  if (corners) return corners;
  if (!(area.widthM > 0) || !(area.depthM > 0)) return { code: "size" };
  if (!area.outline) return null;
  return outlineProblem(area.outline, width, height, photoToPlane(area.corners, area.widthM * 1000, area.depthM * 1000));
}

export function createVisualiser(canvas) {
  const state = { photo: null, area: null, options: { seamless: false, seed: 0 }, mask: null, texture: null, fieldMm: FULL_FRAME_FIELD_MM };
  let layout = null;
  let image = null;
  let painted = null; // the layout whose picture `image` holds
  const stats = { layouts: 0, draws: 0, layoutMs: [], drawMs: [] };
  const context = canvas.getContext("2d");
  const stale = () => { layout = null; };
  // What the layout was made from, as text: the panel sets the area and options again on every draw
  // (its arrays may have changed in place), and only a real change lays out again.
  let laidFrom = { area: "", options: JSON.stringify(state.options) };
  function changed(key, value) {
    const text = JSON.stringify(value);
    if (text === laidFrom[key]) return false;
    laidFrom = { ...laidFrom, [key]: text };
    return true;
  }

  function lay() {
    const started = performance.now();
    layout = layOut(state.photo, state.area, { ...state.options, mask: state.mask, fieldMm: state.fieldMm });
    stats.layouts += 1;
    stats.layoutMs.push(performance.now() - started);
  }

  return {
    stats,
    get photo() { return state.photo; },
    get layout() { return layout; },
    setPhoto(source) {
      state.photo = pixelsOf(source);
      canvas.width = state.photo.width;
      canvas.height = state.photo.height;
      image = context.createImageData(state.photo.width, state.photo.height);
      state.mask = null;
      stale();
    },
    setArea(area) {
      state.area = area;
      if (changed("area", area)) stale();
    },
    setOptions(options) {
      state.options = { ...state.options, ...options };
      if (changed("options", state.options)) stale();
    },
    setMask(bytes) { state.mask = bytes; stale(); },
    setTexture(source, fieldMm = FULL_FRAME_FIELD_MM) {
      state.texture = pixelsOf(source);
      if (fieldMm !== state.fieldMm) stale();
      state.fieldMm = fieldMm;
    },
    problem() {
      if (!state.photo) return { code: "photo" };
      if (!state.area) return { code: "count", count: 0 };
      return areaProblem(state.area, state.photo.width, state.photo.height);
    },
    // The photo alone (no area yet, or an area with a problem).
    drawPhoto() {
      if (state.photo) context.putImageData(state.photo, 0, 0);
    },
    // Lays out if anything but the texture changed, then paints; the time it took (ms).
    draw() {
      if (!state.photo || !state.texture || this.problem()) return 0;
      const started = performance.now();
      if (!layout) lay();
      const laid = performance.now();
      const repaint = painted === layout;
      paint(layout, state.texture, image.data, repaint);
      if (repaint) {
        const { x0, y0, width, height } = layout.crop;
        context.putImageData(image, 0, 0, x0, y0, width, height);
      } else {
        context.putImageData(image, 0, 0);
      }
      painted = layout;
      stats.draws += 1;
      stats.drawMs.push(performance.now() - laid);
      return performance.now() - started;
    },
  };
}
