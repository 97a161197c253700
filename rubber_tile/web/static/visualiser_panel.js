// The visualiser panel: the customer's photo of his site, four corners he drags, the area's size,
// tiles or a poured surface, a brush for what stands in the area, and a PNG to download. Its own
// module and stylesheet (visualiser.css) with one mount point in index.html (#visualiser).
//
// A panel of the page (page.js): `mount(page)` follows the page's mix, seed, grade and language. The
// texture is the page's live preview when the page draws the full-frame top view in the browser
// (its canvas, recoloured at each share move), else the server's full-frame top view of the mix
// (512 px, the preview's exact shares). The photo never leaves the browser. For tests and the
// benchmark: window.tileVisualiser.

import { debounce } from "./dom.js";
import { displayMix, mixText, shareQuery } from "./page.js";
import { createVisualiser, estimateAreaSize } from "./visualiser.js";
import { PhotoError, loadPhoto } from "./visualiser_photo.js";
import { visualiserText } from "./visualiser_texts.js";

const TEXTURE_SIZE = 512;
const RELAYOUT_DELAY_MS = 250;
const TEXTURE_DELAY_MS = 60;
const DEFAULT_CORNERS = [[0.1, 0.92], [0.9, 0.92], [0.74, 0.58], [0.26, 0.58]]; // near left, near right, far right, far left

const TEMPLATE = `
  <h2 id="visualiser-heading" data-vt="heading"></h2>
  <p class="note" data-vt="intro"></p>
  <p class="visualiser-privacy" data-vt="privacy"></p>
  <div class="visualiser-add">
    <button type="button" class="primary" data-v="camera" data-vt="camera"></button>
    <button type="button" data-v="file" data-vt="file"></button>
    <input type="file" accept="image/*" capture="environment" data-v="camera-input" hidden>
    <input type="file" accept="image/*,.heic,.heif" data-v="file-input" hidden>
  </div>
  <div class="visualiser-work" data-v="work" hidden>
    <div class="visualiser-stage" data-v="stage">
      <canvas data-v="canvas" role="img"></canvas>
      <canvas class="visualiser-mask" data-v="mask" aria-hidden="true"></canvas>
      <svg class="visualiser-outline" data-v="outline" aria-hidden="true" preserveAspectRatio="none"><polygon></polygon><polygon class="visualiser-shape"></polygon></svg>
    </div>
    <div class="visualiser-controls">
      <p class="note" data-vt="hint"></p>
      <div class="visualiser-size">
        <label class="field"><span data-vt="width"></span><input type="text" inputmode="decimal" autocomplete="off" data-v="width"></label>
        <label class="field"><span data-vt="depth"></span><input type="text" inputmode="decimal" autocomplete="off" data-v="depth"></label>
      </div>
      <p class="note" data-v="estimate"></p>
      <div class="visualiser-shape-buttons">
        <button type="button" data-v="add-point" data-vt="add_point"></button>
        <button type="button" data-v="reset-shape" data-vt="reset_shape" hidden></button>
      </div>
      <fieldset class="visualiser-surface"><legend data-vt="surface"></legend>
        <label><input type="radio" name="visualiser-surface" value="tiles" checked> <span data-vt="tiles"></span></label>
        <label><input type="radio" name="visualiser-surface" value="seamless"> <span data-vt="seamless"></span></label>
      </fieldset>
      <div class="visualiser-brush">
        <button type="button" aria-pressed="false" data-v="brush" data-vt="brush"></button>
        <label class="field"><span data-vt="brush_size"></span><input type="range" min="6" max="80" value="24" data-v="brush-size"></label>
        <button type="button" data-v="clear-mask" data-vt="clear_mask"></button>
      </div>
      <div class="visualiser-save">
        <button type="button" class="primary" data-v="download" data-vt="download"></button>
        <button type="button" data-v="pdf" data-vt="pdf" hidden></button>
      </div>
      <p class="note" data-v="pdf-note" data-vt="pdf_note" hidden></p>
    </div>
  </div>
  <p class="visualiser-status" role="status" data-v="status"></p>`;

// The size a customer typed ("4,5" or "4.5"), or null.
export function readMetres(text) {
  const value = Number(String(text).trim().replace(",", "."));
  return text.trim() !== "" && Number.isFinite(value) && value > 0 ? value : null;
}

// The panel in `root`. `currentTexture()` (optional) gives a canvas showing the full-frame top view of
// the tile now, or null: then the server is asked for it.
export function mountVisualiser(root, { currentTexture = () => null, quoteQuery = null } = {}) {
  root.innerHTML = TEMPLATE;
  const el = Object.fromEntries([...root.querySelectorAll("[data-v]")].map((node) => [node.dataset.v, node]));
  const view = createVisualiser(el.canvas);
  const state = { language: "ru", tile: null, corners: null, outline: null, estimate: null, status: "", statusArgs: [], brush: false, photo: false };
  const t = (key, ...args) => visualiserText(state.language, key, ...args);
  const handles = [1, 2, 3, 4].map((n) => {
    const handle = document.createElement("button");
    Object.assign(handle, { type: "button", className: "visualiser-corner", textContent: String(n) });
    handle.dataset.corner = String(n - 1);
    el.stage.append(handle);
    return handle;
  });
  root.dataset.state = "empty";
  window.tileVisualiser = { view, root, state };

  function setStatus(key, ...args) {
    state.status = key;
    state.statusArgs = args;
    el.status.textContent = key ? t(key, ...args) : "";
  }

  function translate() {
    for (const node of root.querySelectorAll("[data-vt]")) node.textContent = t(node.dataset.vt);
    handles.forEach((handle, k) => handle.setAttribute("aria-label", t("corner", k + 1)));
    for (const [k, handle] of pointHandles.entries()) handle.setAttribute("aria-label", t("point", k + 1));
    el.canvas.setAttribute("aria-label", t("stage", state.tile ? state.tile.displayMix : ""));
    if (state.brush) el.brush.textContent = t("brush_on");
    showEstimate();
    if (state.status) setStatus(state.status, ...state.statusArgs);
  }

  function showEstimate() {
    if (!state.photo) return;
    el.estimate.textContent = state.estimate ? t("estimated", ...[state.estimate.width, state.estimate.depth].map((v) => v.toLocaleString(state.language === "ru" ? "ru-RU" : "en-GB"))) : t("no_estimate");
  }

  function area() {
    const widthM = readMetres(el.width.value) ?? state.estimate?.width ?? null;
    const depthM = readMetres(el.depth.value) ?? state.estimate?.depth ?? null;
    return { corners: state.corners, outline: resolvedOutline(), widthM: widthM ?? 0, depthM: depthM ?? 0 };
  }

  // The area's shape: the four corners by default. Points added between them make an outline: its
  // entries are a corner's number (it moves with the corner) or a point of its own [x, y]; the
  // corners still mark the ground's plane and the size.
  const pointHandles = [];
  const freePoints = () => (state.outline || []).filter((entry) => typeof entry !== "number");
  function resolvedOutline() {
    return state.outline ? state.outline.map((entry) => (typeof entry === "number" ? state.corners[entry] : entry)) : null;
  }

  function placeCorners() {
    const { width, height } = el.canvas;
    const place = (handle, [x, y]) => {
      handle.style.left = `${(x / width) * 100}%`;
      handle.style.top = `${(y / height) * 100}%`;
    };
    handles.forEach((handle, k) => place(handle, state.corners[k]));
    const free = freePoints();
    while (pointHandles.length < free.length) {
      const handle = document.createElement("button");
      const k = pointHandles.length;
      Object.assign(handle, { type: "button", className: "visualiser-corner visualiser-point", textContent: String.fromCharCode(65 + k) });
      handle.setAttribute("aria-label", t("point", k + 1));
      el.stage.append(handle);
      const entry = () => state.outline.indexOf(freePoints()[k]);
      bindHandle(handle, () => freePoints()[k], (p) => state.outline.splice(entry(), 1, p), cornersChanged, el);
      pointHandles.push(handle);
    }
    pointHandles.forEach((handle, k) => {
      handle.hidden = k >= free.length;
      if (!handle.hidden) place(handle, free[k]);
    });
    el["reset-shape"].hidden = !state.outline;
    el.outline.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const [frame, shape] = el.outline.children;
    const outline = resolvedOutline();
    frame.setAttribute("points", state.corners.map((p) => p.join(",")).join(" "));
    shape.setAttribute("points", outline ? outline.map((p) => p.join(",")).join(" ") : "");
  }

  // A point of its own in the middle of the shape's longest side.
  function addPoint() {
    const entries = state.outline || [0, 1, 2, 3];
    state.outline = entries;
    const points = resolvedOutline();
    let longest = 0;
    let at = 0;
    points.forEach((p, k) => {
      const q = points[(k + 1) % points.length];
      const length = Math.hypot(q[0] - p[0], q[1] - p[1]);
      if (length > longest) [longest, at] = [length, k];
    });
    const q = points[(at + 1) % points.length];
    entries.splice(at + 1, 0, [Math.round((points[at][0] + q[0]) / 2), Math.round((points[at][1] + q[1]) / 2)]);
    cornersChanged();
  }

  function draw() {
    if (!state.photo) return;
    view.setArea(area());
    view.setOptions({ seamless: root.querySelector("input[value=seamless]").checked, seed: state.tile ? state.tile.seed : 0 });
    const problem = view.problem();
    if (problem && problem.code !== "photo") {
      view.drawPhoto();
      if (problem.point !== undefined) setStatus(`problem_point_${problem.code}`, problem.point + 1);
      else setStatus(`problem_${problem.code}`, problem.corner !== undefined ? problem.corner + 1 : undefined);
      root.dataset.state = "problem";
      return;
    }
    if (!view.layout) {
      setStatus("drawing");
      root.dataset.state = "drawing";
    }
    if (state.frameRequested) return; // one draw a frame, however many changes came
    state.frameRequested = true;
    requestAnimationFrame(() => {
      state.frameRequested = false;
      if (!state.textureReady) return;
      view.draw();
      root.dataset.state = "ready";
      root.dataset.draws = String(view.stats.draws);
      setStatus("ready");
    });
  }
  const drawSoon = debounce(draw, RELAYOUT_DELAY_MS);

  const tileKey = () => (state.tile ? `${state.tile.mix}|${state.tile.seed}|${state.tile.grade}` : "");

  // The page's live preview as the texture (a canvas showing the full-frame top view of the tile now).
  function liveTexture(canvas) {
    if (!state.photo) return;
    view.setTexture(canvas);
    state.textureReady = true;
    state.textureKey = tileKey();
    draw();
  }

  async function fetchTexture() {
    if (!state.tile || !state.photo || state.textureKey === tileKey()) return;
    const live = currentTexture();
    if (live) {
      liveTexture(live);
      return;
    }
    const key = tileKey();
    const { mix, seed, grade } = state.tile;
    const query = new URLSearchParams({ mix, seed: String(seed), grade, framing: "full_frame", view: "top", size: String(TEXTURE_SIZE), format: "png", language: state.language });
    const mine = (state.textureRequest = (state.textureRequest || 0) + 1);
    try {
      const reply = await fetch(`/api/preview?${query}`);
      if (!reply.ok) throw new Error(`HTTP ${reply.status}`);
      const bitmap = await createImageBitmap(await reply.blob());
      if (mine !== state.textureRequest || state.textureKey === tileKey()) return;
      view.setTexture(bitmap);
      state.textureReady = true;
      state.textureKey = key;
      draw();
    } catch (error) {
      if (mine === state.textureRequest) setStatus("error_texture");
    }
  }
  const fetchTextureSoon = debounce(fetchTexture, TEXTURE_DELAY_MS);

  async function addPhoto(file) {
    state.textureKey = ""; // a new photo: the texture is asked for again
    if (!file) return;
    setStatus("loading");
    root.dataset.state = "loading";
    let photo;
    try {
      photo = await loadPhoto(file);
    } catch (error) {
      if (!(error instanceof PhotoError)) throw error;
      setStatus(`error_${error.code === "heic" ? "heic" : error.code === "too_big" ? "too_big" : "unreadable"}`, error.detail);
      root.dataset.state = "error";
      return;
    }
    view.setPhoto(photo.bitmap);
    const { width, height } = el.canvas;
    el.mask.width = width;
    el.mask.height = height;
    state.corners = DEFAULT_CORNERS.map(([x, y]) => [Math.round(x * width), Math.round(y * height)]);
    state.outline = null;
    state.estimate = estimateAreaSize(state.corners, width, height);
    state.photo = true;
    el.work.hidden = false;
    root.dataset.photo = `${width}x${height}`;
    root.dataset.original = `${photo.originalWidth}x${photo.originalHeight}`;
    placeCorners();
    showEstimate();
    setStatus("drawing");
    if (state.textureReady) draw();
    else fetchTexture();
  }

  function cornersChanged() {
    placeCorners();
    state.estimate = estimateAreaSize(state.corners, el.canvas.width, el.canvas.height);
    showEstimate();
    drawSoon();
  }

  // For the tests, the screenshots and the benchmark: corners as if dragged there (photo px).
  window.tileVisualiser.setCorners = (corners, outline = null) => {
    state.corners = corners.map(([x, y]) => [x, y]);
    state.outline = outline && outline.map(([x, y]) => [x, y]);
    cornersChanged();
  };
  window.tileVisualiser.outline = resolvedOutline;
  handles.forEach((handle, k) => bindHandle(handle, () => state.corners[k], (p) => { state.corners[k] = p; }, cornersChanged, el));
  el["add-point"].addEventListener("click", addPoint);
  el["reset-shape"].addEventListener("click", () => {
    state.outline = null;
    cornersChanged();
  });
  bindBrush({ el, state, view, t, drawSoon });
  el.camera.addEventListener("click", () => el["camera-input"].click());
  el.file.addEventListener("click", () => el["file-input"].click());
  for (const input of [el["camera-input"], el["file-input"]]) {
    input.addEventListener("change", () => {
      addPhoto(input.files[0]);
      input.value = "";
    });
  }
  for (const input of [el.width, el.depth]) input.addEventListener("input", drawSoon);
  for (const radio of root.querySelectorAll("input[name=visualiser-surface]")) radio.addEventListener("change", draw);
  el.download.addEventListener("click", () => download(el.canvas, state));
  if (quoteQuery) {
    el.pdf.hidden = false;
    el["pdf-note"].hidden = false;
    el.pdf.addEventListener("click", () => quoteWithSite(el, state, quoteQuery(), setStatus));
  }
  // The page's settings changed: {mix, seed, grade, language, displayMix}.
  const settingsChanged = (detail) => {
    const changedLanguage = detail.language !== state.language;
    state.language = detail.language;
    state.tile = detail;
    if (changedLanguage) translate();
    el.canvas.setAttribute("aria-label", t("stage", state.tile.displayMix));
    fetchTextureSoon();
  };
  translate();
  return { view, addPhoto, settingsChanged, liveTexture };
}

// A corner or a point of the shape: dragged with a pointer, or moved with the arrow keys (Shift: ten
// times as far). `get()` gives its point, `set(point)` moves it.
function bindHandle(handle, get, set, changed, el) {
  const scale = () => el.canvas.width / el.canvas.getBoundingClientRect().width;
  handle.addEventListener("pointerdown", (event) => {
    handle.setPointerCapture(event.pointerId);
    handle.dataset.dragging = "true";
  });
  handle.addEventListener("pointermove", (event) => {
    if (handle.dataset.dragging !== "true") return;
    const box = el.canvas.getBoundingClientRect();
    const x = Math.min(box.width, Math.max(0, event.clientX - box.left)) * scale();
    const y = Math.min(box.height, Math.max(0, event.clientY - box.top)) * scale();
    set([Math.round(x), Math.round(y)]);
    changed();
  });
  handle.addEventListener("pointerup", () => delete handle.dataset.dragging);
  handle.addEventListener("keydown", (event) => {
    const steps = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] }[event.key];
    if (!steps) return;
    event.preventDefault();
    const step = (event.shiftKey ? 10 : 1) * scale();
    const [x, y] = get();
    set([
      Math.round(Math.min(el.canvas.width, Math.max(0, x + steps[0] * step))),
      Math.round(Math.min(el.canvas.height, Math.max(0, y + steps[1] * step))),
    ]);
    changed();
  });
}

// The brush: painted on its own canvas (the photo's size); its alpha is the mask the surface leaves out.
function bindBrush({ el, state, view, t, drawSoon }) {
  const context = el.mask.getContext("2d", { willReadFrequently: true });
  let painting = false;
  const paintAt = (event) => {
    const box = el.mask.getBoundingClientRect();
    const scale = el.mask.width / box.width;
    context.fillStyle = "rgb(214, 40, 40)";
    context.beginPath();
    context.arc((event.clientX - box.left) * scale, (event.clientY - box.top) * scale, (Number(el["brush-size"].value) / 2) * scale, 0, 2 * Math.PI);
    context.fill();
  };
  const commit = () => {
    const data = context.getImageData(0, 0, el.mask.width, el.mask.height).data;
    const mask = new Uint8Array(el.mask.width * el.mask.height);
    for (let i = 0; i < mask.length; i += 1) mask[i] = data[4 * i + 3];
    view.setMask(mask);
    drawSoon();
  };
  el.brush.addEventListener("click", () => {
    state.brush = !state.brush;
    el.brush.setAttribute("aria-pressed", String(state.brush));
    el.brush.textContent = t(state.brush ? "brush_on" : "brush");
    el.stage.classList.toggle("brushing", state.brush);
  });
  el.stage.addEventListener("pointerdown", (event) => {
    if (!state.brush || event.target.classList.contains("visualiser-corner")) return;
    painting = true;
    el.stage.setPointerCapture(event.pointerId);
    paintAt(event);
  });
  el.stage.addEventListener("pointermove", (event) => painting && paintAt(event));
  el.stage.addEventListener("pointerup", () => {
    if (!painting) return;
    painting = false;
    commit();
  });
  el["clear-mask"].addEventListener("click", () => {
    context.clearRect(0, 0, el.mask.width, el.mask.height);
    view.setMask(null);
    drawSoon();
  });
}

// The factory's PDF with this picture in it: sent to the server only now, when the customer asks.
async function quoteWithSite(el, state, query, setStatus) {
  el.pdf.disabled = true;
  try {
    const picture = await new Promise((resolve) => el.canvas.toBlob(resolve, "image/jpeg", 0.9));
    const reply = await fetch(`/api/quote.pdf?${query}`, { method: "POST", headers: { "Content-Type": "image/jpeg" }, body: picture });
    if (!reply.ok) {
      const data = await reply.json().catch(() => null);
      el.status.textContent = data?.error?.message || `HTTP ${reply.status}`;
      return;
    }
    saveBlob(await reply.blob(), `tile-${state.tile ? state.tile.seed : 0}-site.pdf`);
    setStatus("ready");
  } finally {
    el.pdf.disabled = false;
  }
}

// The browser's download of a blob under this file name.
function saveBlob(blob, filename) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function download(canvas, state) {
  canvas.toBlob((blob) => saveBlob(blob, `site-${state.tile ? state.tile.seed : 0}.png`), "image/png");
}

// The page's panel: in #visualiser, following the page's events and its live preview.
export function mount(page) {
  const root = document.getElementById("visualiser");
  if (!root) return;
  const figure = document.getElementById("preview");
  const canvas = document.getElementById("preview-canvas");
  const live = () => {
    const { state } = page;
    const current = figure && canvas && figure.dataset.state === "ready" && figure.dataset.source === "browser" && figure.dataset.mix === mixText(state);
    return current && state.framing === "full_frame" && state.view === "top" && figure.dataset.seed === String(state.seed) ? canvas : null;
  };
  const panel = mountVisualiser(root, { currentTexture: live, quoteQuery: () => shareQuery(page.state) });
  const settings = () => ({ mix: mixText(page.state), seed: page.state.seed, grade: page.state.grade, language: page.state.language, displayMix: displayMix(page) });
  page.on((kind) => {
    if (kind !== "estimate") panel.settingsChanged(settings());
  });
  panel.settingsChanged(settings());
  // Each time the live preview shows the tile now, the surface takes it (the server is not asked).
  if (!figure) return;
  const follow = () => {
    if (live()) panel.liveTexture(canvas);
  };
  new MutationObserver(follow).observe(figure, { attributes: true, attributeFilter: ["data-state", "data-mix", "data-seed", "data-source"] });
}
