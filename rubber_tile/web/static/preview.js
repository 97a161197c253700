// The live picture. From above, the server sends a seed's layout once (GET /api/preview/layout) and the
// colour tables once (GET /api/preview/tables); every share change is drawn here on a canvas at the
// next animation frame (colorize.js), with no request. The installed view is drawn by the server
// (GET /api/preview), as is any picture when the layout cannot be had.
//
// For tests and the benchmark, window.tilePreview holds the draw count, the time from each slider
// input to its picture, and the last colour assignment.

import { fetchDocument } from "./binary.js";
import { $, debounce } from "./dom.js";
import { areaShares, assignColors, mixFractions, mixTable, paint } from "./colorize.js";
import { MIX_KINDS, displayMix, mixText, tileQuery } from "./page.js";

const LAYOUT_SIZE = 512;
const SERVER_DEBOUNCE_MS = 120;
const stats = { draws: 0, latencies: [], drawMs: [], colorOfGranule: null, shares: null, inputAt: 0 };
let tables = null;
let layout = null;
let layoutController = null;
let serverController = null;
let frameRequested = false;
let serverUrl = "";
let loadingKey = "";
let failedKey = ""; // a layout that could not be had: the server draws those pictures

function layoutKey(state) {
  return `${state.seed}/${state.grade}/${state.framing}`;
}

function setStatus(page, state, key) {
  const figure = $("preview");
  figure.dataset.state = state;
  $("preview-status").textContent = page.text(key);
}

function describe(page) {
  const { state } = page;
  const label = page.text("alt", displayMix(page), page.text("grade_short")[state.grade], state.view === "installed");
  $("preview-canvas").setAttribute("aria-label", label);
  $("preview-image").alt = label;
}

function shown(page, source) {
  const figure = $("preview");
  figure.dataset.mix = mixText(page.state);
  figure.dataset.seed = String(page.state.seed);
  figure.dataset.source = source;
  $("preview-canvas").hidden = source !== "browser";
  $("preview-image").hidden = source !== "server";
  describe(page);
}

function drawOnCanvas(page) {
  const { state } = page;
  const started = performance.now();
  const indices = state.colors.map((c) => tables.header.colors.indexOf(c.name));
  const total = state.colors.reduce((sum, c) => sum + c.parts, 0);
  const fractions = mixFractions(state.colors.map((c) => (c.parts * 100) / total));
  const colorOfGranule = assignColors(layout.arrays.area, layout.arrays.order, fractions, tables.header.fill_window);
  const table = mixTable(tables, indices, fractions);
  const canvas = $("preview-canvas");
  const context = canvas.getContext("2d");
  const image = context.createImageData(LAYOUT_SIZE, LAYOUT_SIZE);
  paint(layout, table, colorOfGranule, tables.header.variants, tables.header.levels, image.data);
  context.putImageData(image, 0, 0);
  const done = performance.now();
  stats.draws += 1;
  stats.drawMs.push(done - started);
  if (stats.inputAt) stats.latencies.push(done - stats.inputAt);
  stats.inputAt = 0;
  stats.colorOfGranule = colorOfGranule;
  stats.shares = areaShares(layout.arrays.area, colorOfGranule, indices.length);
  shown(page, "browser");
  setStatus(page, "ready", "preview_ready");
}

async function loadLayout(page) {
  const key = layoutKey(page.state);
  layoutController?.abort();
  layoutController = new AbortController();
  const { seed, grade, framing } = page.state;
  const query = new URLSearchParams({ seed: String(seed), grade, framing, size: String(LAYOUT_SIZE), language: page.state.language });
  setStatus(page, "loading", "preview_loading");
  loadingKey = key;
  try {
    tables = tables || (await fetchDocument("/api/preview/tables", layoutController.signal));
    const fresh = await fetchDocument(`/api/preview/layout?${query}`, layoutController.signal);
    layout = { ...fresh, key };
  } catch (error) {
    if (error.name === "AbortError") return;
    loadingKey = "";
    failedKey = key;
    drawOnServer(page); // the server draws it instead
    return;
  }
  loadingKey = "";
  draw(page);
}

async function drawOnServer(page) {
  const query = new URLSearchParams({ ...tileQuery(page.state), language: page.state.language });
  serverController?.abort();
  serverController = new AbortController();
  setStatus(page, "loading", "preview_loading");
  let reply;
  try {
    reply = await fetch(`/api/preview?${query}`, { signal: serverController.signal });
  } catch (error) {
    if (error.name !== "AbortError") setStatus(page, "error", "preview_failed");
    return;
  }
  if (!reply.ok) {
    const data = await reply.json().catch(() => null);
    $("preview").dataset.state = "error";
    $("preview-status").textContent = data ? data.error.message : page.text("preview_failed");
    return;
  }
  const blob = await reply.blob();
  if (serverUrl) URL.revokeObjectURL(serverUrl);
  serverUrl = URL.createObjectURL(blob);
  const image = $("preview-image");
  image.src = serverUrl;
  await image.decode().catch(() => {});
  stats.draws += 1;
  shown(page, "server");
  setStatus(page, "ready", "preview_server");
}
const drawOnServerSoon = debounce(drawOnServer, SERVER_DEBOUNCE_MS);

// The picture for the current state: on the canvas at the next frame, or by the server.
export function draw(page) {
  if (page.state.view === "installed" || failedKey === layoutKey(page.state)) {
    drawOnServerSoon(page);
    return;
  }
  if (!layout || layout.key !== layoutKey(page.state)) {
    if (loadingKey !== layoutKey(page.state)) loadLayout(page); // one load per layout; its end draws
    return;
  }
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    if (layout && layout.key === layoutKey(page.state) && page.state.view !== "installed") drawOnCanvas(page);
  });
}

export function mount(page) {
  window.tilePreview = stats;
  page.on((kind) => {
    if (kind === "shares" && !stats.inputAt) stats.inputAt = performance.now();
    if ([...MIX_KINDS, "options"].includes(kind)) draw(page);
    else if (kind === "language") describe(page);
  });
}
