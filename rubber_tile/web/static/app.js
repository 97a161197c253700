// The configurator page: state in one object, the URL always a share link of it, every picture from the API.
import { LANGUAGES, text, translatePage } from "./i18n.js";
import { addShare, distribute, removeShare, setShare, sum } from "./shares.js";

const PREVIEW_DEBOUNCE_MS = 150;
const TYPING_DEBOUNCE_MS = 400;
const ESTIMATE_DEBOUNCE_MS = 250;
const POLL_INTERVAL_MS = 1000;
const DEFAULT_MIX = "50% red, 30% black, 20% pearl";
const SEED_LIMIT = 2 ** 31;
const DOWNLOAD_SIZE = 1024; // the live preview is 512 px; the PNG download the same picture at twice the size

const $ = (id) => document.getElementById(id);
const state = {
  language: "ru",
  colors: [], // [{name, parts}] in the customer's order
  seed: 0,
  grade: "standard",
  framing: "full_frame",
  view: "top",
};
let config = null;
let byName = new Map();

// ------------------------------------------------------------ helpers

function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

function colorName(name) {
  const color = byName.get(name);
  return state.language === "ru" ? color.russian : color.name;
}

function mixText() {
  return state.colors.map((c) => `${c.parts}% ${c.name}`).join(", ");
}

function displayMixText() {
  return state.colors.map((c) => `${c.parts}% ${colorName(c.name)}`).join(", ");
}

function tileQuery() {
  return { mix: mixText(), seed: String(state.seed), grade: state.grade, framing: state.framing, view: state.view };
}

function isLight(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 150;
}

async function postJson(path, body) {
  const reply = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  const data = await reply.json();
  return { ok: reply.ok, status: reply.status, data };
}

// ------------------------------------------------------------ colours and shares

function renderSwatches() {
  const box = $("swatches");
  box.replaceChildren();
  const chosen = new Set(state.colors.map((c) => c.name));
  for (const color of config.colors) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "swatch";
    button.dataset.color = color.name;
    button.setAttribute("aria-pressed", chosen.has(color.name) ? "true" : "false");
    button.title = `${color.russian} / ${color.name}`;
    const chip = document.createElement("span");
    chip.className = "chip" + (isLight(color.hex) ? " light" : "");
    chip.style.background = color.hex;
    const label = document.createElement("span");
    label.className = "swatch-name";
    label.textContent = colorName(color.name);
    button.append(chip, label);
    button.addEventListener("click", () => toggleColor(color.name));
    box.append(button);
  }
  $("chosen-count").textContent = text(state.language, "chosen", state.colors.length, config.max_colors);
}

function toggleColor(name) {
  const index = state.colors.findIndex((c) => c.name === name);
  $("swatch-note").textContent = "";
  if (index >= 0) {
    if (state.colors.length === 1) return; // a mix needs one colour
    const parts = removeShare(state.colors.map((c) => c.parts), index);
    state.colors.splice(index, 1);
    state.colors.forEach((c, i) => (c.parts = parts[i]));
  } else if (state.colors.length >= config.max_colors) {
    $("swatch-note").textContent = text(state.language, "max_reached", config.max_colors);
    return;
  } else {
    const parts = addShare(state.colors.map((c) => c.parts));
    state.colors.push({ name, parts: parts[parts.length - 1] });
    state.colors.forEach((c, i) => (c.parts = parts[i]));
  }
  mixChanged();
}

function renderShares() {
  const box = $("shares");
  box.replaceChildren();
  state.colors.forEach((color, index) => {
    const row = document.createElement("div");
    row.className = "share-row";
    row.dataset.color = color.name;
    const chip = document.createElement("span");
    chip.className = "chip";
    chip.style.background = byName.get(color.name).hex;
    const name = document.createElement("span");
    name.className = "share-name";
    name.textContent = colorName(color.name);
    const slider = document.createElement("input");
    Object.assign(slider, { type: "range", min: 1, max: 100, step: 1, value: color.parts });
    slider.setAttribute("aria-label", colorName(color.name));
    const number = document.createElement("input");
    Object.assign(number, { type: "number", min: 1, max: 100, step: 1, value: color.parts, className: "share-number" });
    number.setAttribute("aria-label", `${colorName(color.name)}, %`);
    slider.addEventListener("input", () => changeShare(index, Number(slider.value)));
    number.addEventListener("change", () => changeShare(index, Number(number.value)));
    const remove = document.createElement("button");
    Object.assign(remove, { type: "button", className: "remove", textContent: "×", title: text(state.language, "remove") });
    remove.disabled = state.colors.length === 1;
    remove.addEventListener("click", () => toggleColor(color.name));
    row.append(chip, name, slider, number, remove);
    box.append(row);
  });
  $("share-sum").textContent = String(sum(state.colors.map((c) => c.parts)));
}

function changeShare(index, value) {
  const parts = setShare(state.colors.map((c) => c.parts), index, value);
  state.colors.forEach((c, i) => (c.parts = parts[i]));
  // Update the rows in place: re-creating them would take the slider from under the customer's pointer.
  for (const [i, row] of [...$("shares").children].entries()) {
    const [slider, number] = row.querySelectorAll("input");
    slider.value = String(parts[i]);
    if (document.activeElement !== number) number.value = String(parts[i]);
  }
  $("share-sum").textContent = String(sum(parts));
  mixChanged({ keepRows: true });
}

function mixChanged({ keepRows = false, keepTyped = false } = {}) {
  renderSwatches();
  if (!keepRows) renderShares();
  if (!keepTyped) {
    $("typed-mix").value = displayMixText();
    showMixError(null);
  }
  settingsChanged();
}

// ------------------------------------------------------------ typed mix

function showMixError(error) {
  const box = $("mix-error");
  box.replaceChildren();
  box.hidden = !error;
  $("typed-mix").setAttribute("aria-invalid", error ? "true" : "false");
  if (!error) return;
  const problems = error.mix ? error.mix.problems : [{ message: error.message, suggestions: [] }];
  for (const problem of problems) {
    const line = document.createElement("p");
    line.className = "problem";
    line.dataset.code = problem.code || error.code;
    line.textContent = problem.message;
    box.append(line);
    if (problem.suggestions && problem.suggestions.length && problem.fragment) {
      const hint = document.createElement("p");
      hint.className = "suggestions";
      hint.append(text(state.language, "did_you_mean") + " ");
      for (const name of problem.suggestions.filter((n) => byName.has(n))) {
        const chip = document.createElement("button");
        Object.assign(chip, { type: "button", className: "suggestion", textContent: colorName(name) });
        chip.addEventListener("click", () => replaceFragment(problem.fragment, colorName(name)));
        hint.append(chip, " ");
      }
      box.append(hint);
    }
  }
}

function replaceFragment(fragment, name) {
  const field = $("typed-mix");
  field.value = field.value.replace(fragment, name);
  checkTypedMix();
}

let typedSequence = 0;
async function checkTypedMix() {
  const typed = $("typed-mix").value;
  if (!typed.trim()) return;
  const mine = ++typedSequence;
  const { ok, data } = await postJson("/api/mix", { text: typed, language: state.language });
  if (mine !== typedSequence) return; // the customer typed on
  if (!ok) {
    showMixError(data.error);
    return;
  }
  showMixError(null);
  state.colors = data.colors.map((c) => ({ name: c.name, parts: c.parts }));
  mixChanged({ keepTyped: document.activeElement === $("typed-mix") });
}

// ------------------------------------------------------------ preview, share link, download

let previewController = null;
let previewUrl = "";

async function drawPreview() {
  const query = new URLSearchParams({ ...tileQuery(), language: state.language });
  previewController?.abort();
  previewController = new AbortController();
  const image = $("preview");
  image.dataset.state = "loading";
  $("preview-status").textContent = text(state.language, "preview_loading");
  let reply;
  try {
    reply = await fetch(`/api/preview?${query}`, { signal: previewController.signal });
  } catch (error) {
    if (error.name === "AbortError") return;
    throw error;
  }
  if (!reply.ok) {
    const data = await reply.json();
    image.dataset.state = "error";
    $("preview-status").textContent = data.error.message;
    return;
  }
  const blob = await reply.blob();
  if (previewUrl) URL.revokeObjectURL(previewUrl);
  previewUrl = URL.createObjectURL(blob);
  image.src = previewUrl;
  await image.decode().catch(() => {});
  image.dataset.mix = reply.headers.get("X-Tile-Mix") || "";
  image.dataset.seed = reply.headers.get("X-Tile-Seed") || "";
  image.dataset.state = "ready";
  $("preview-status").textContent = text(state.language, "preview_ready");
}
const drawPreviewSoon = debounce(drawPreview, PREVIEW_DEBOUNCE_MS);

function shareUrl() {
  const query = new URLSearchParams({ ...tileQuery(), lang: state.language });
  return `${location.origin}${location.pathname}?${query}`;
}

function settingsChanged() {
  const url = shareUrl();
  history.replaceState(null, "", url);
  $("share-link").value = url;
  const download = new URLSearchParams({ ...tileQuery(), format: "png", size: String(DOWNLOAD_SIZE) });
  $("download").href = `/api/preview?${download}`;
  $("download").download = `tile-${state.seed}.png`;
  drawPreviewSoon();
  estimateSoon();
  // The visualiser panel (visualiser_panel.js) lays this mix on the customer's photo.
  const detail = { mix: mixText(), seed: state.seed, grade: state.grade, language: state.language, displayMix: displayMixText() };
  window.tileSettings = detail; // for a panel that mounts after this
  document.dispatchEvent(new CustomEvent("tile-settings", { detail }));
}

// ------------------------------------------------------------ photoreal render

function showRender(render) {
  const status = $("render-status");
  status.dataset.status = render.status;
  status.dataset.arrivedVia = render.arrived_via || "";
  const progress = render.progress || { done: 0, total: 0 };
  const bar = $("render-progress");
  bar.max = Math.max(progress.total, 1);
  bar.value = render.status === "succeeded" ? bar.max : progress.done;
  if (render.status === "processing") status.textContent = text(state.language, "render_processing", progress.done, progress.total);
  else if (render.status === "failed") status.textContent = text(state.language, "render_failed") + render.error.message;
  else status.textContent = text(state.language, `render_${render.status}`);
  if (render.status === "succeeded" && render.image_url) {
    const image = $("render-image");
    image.src = render.image_url;
    image.hidden = false;
    const link = $("render-download");
    link.href = render.image_url;
    link.download = `tile-photoreal-${render.seed}.png`;
    link.hidden = false;
  }
  $("photoreal").disabled = !["succeeded", "failed", "canceled"].includes(render.status);
}

async function requestRender() {
  $("render").hidden = false;
  $("render-image").hidden = true;
  $("render-download").hidden = true;
  $("photoreal").disabled = true;
  const { ok, data } = await postJson("/api/renders", { ...tileQuery(), seed: state.seed, language: state.language });
  if (!ok) {
    showRender({ status: "failed", error: data.error });
    return;
  }
  showRender(data);
  follow(data);
}

// Server-sent events carry each webhook's news; polling is the fallback where they cannot be used.
function follow(render) {
  if (!("EventSource" in window)) return poll(render.id);
  const events = new EventSource(render.events_url);
  let finished = false;
  events.addEventListener("status", (event) => {
    const news = JSON.parse(event.data);
    showRender(news);
    if (["succeeded", "failed", "canceled"].includes(news.status)) {
      finished = true;
      events.close();
    }
  });
  events.addEventListener("error", () => {
    if (finished) return;
    events.close();
    poll(render.id);
  });
}

async function poll(renderId) {
  const reply = await fetch(`/api/renders/${renderId}`);
  const render = await reply.json();
  if (!reply.ok) return showRender({ status: "failed", error: render.error });
  showRender(render);
  if (!["succeeded", "failed", "canceled"].includes(render.status)) setTimeout(() => poll(renderId), POLL_INTERVAL_MS);
}

// ------------------------------------------------------------ material estimate

async function estimate() {
  const area = Number($("area").value);
  const thickness = Number($("thickness").value);
  const body = { mix: mixText(), area_m2: area, thickness_mm: thickness, language: state.language };
  const rate = $("crumb-rate").value;
  const binder = $("binder-percent").value;
  if (rate !== "") body.crumb_kg_per_m2 = Number(rate);
  if (binder !== "") body.binder_percent = Number(binder);
  const note = $("estimate-note");
  if (!(area > 0) || !(thickness >= 5 && thickness <= 100)) {
    note.textContent = text(state.language, "estimate_bad");
    return;
  }
  const { ok, data } = await postJson("/api/estimate", body);
  note.textContent = ok ? "" : data.error.message;
  if (ok) showEstimate(data);
}
const estimateSoon = debounce(estimate, ESTIMATE_DEBOUNCE_MS);

function tableRow(cells, className = "") {
  const row = document.createElement("tr");
  row.className = className;
  for (const value of cells) {
    const cell = document.createElement("td");
    cell.textContent = value;
    row.append(cell);
  }
  return row;
}

function showEstimate(result) {
  const number = (kg) => kg.toLocaleString(state.language === "ru" ? "ru-RU" : "en-GB", { maximumFractionDigits: 1 });
  const body = $("estimate-table").tBodies[0];
  body.replaceChildren(...result.colors.map((c) => {
    const row = tableRow([colorName(c.name), `${Math.round(c.percent * 10) / 10}%`, number(c.kg)]);
    row.dataset.color = c.name;
    row.dataset.kg = String(c.kg);
    return row;
  }));
  const foot = $("estimate-table").tFoot;
  const binderRow = tableRow([text(state.language, "binder"), `${result.constants.binder_percent}%`, number(result.binder_kg)], "binder");
  binderRow.dataset.kg = String(result.binder_kg);
  foot.replaceChildren(
    tableRow([text(state.language, "crumb_total"), "100%", number(result.crumb_kg)]),
    binderRow,
    tableRow([text(state.language, "total"), "", number(result.total_kg)], "total"),
  );
  $("estimate-buckets").textContent = `${text(state.language, "binder")}: ${text(state.language, "buckets", result.binder_buckets, result.constants.binder_bucket_kg)}`;
}

// ------------------------------------------------------------ options and language

function fillSelect(id, choices, current) {
  const select = $(id);
  select.replaceChildren(...choices.map((choice) => {
    const option = document.createElement("option");
    option.value = choice;
    option.textContent = text(state.language, `${id}_${choice}`);
    option.selected = choice === current;
    return option;
  }));
}

function setLanguage(language) {
  state.language = LANGUAGES.includes(language) ? language : "ru";
  translatePage(state.language);
  for (const button of document.querySelectorAll(".language")) {
    button.setAttribute("aria-pressed", button.dataset.language === state.language ? "true" : "false");
  }
  fillSelect("grade", config.grades, state.grade);
  fillSelect("framing", config.framings, state.framing);
  fillSelect("view", config.views, state.view);
  const typedHasError = !$("mix-error").hidden;
  renderSwatches();
  renderShares();
  if (typedHasError) checkTypedMix(); // the error again, in the new language
  else $("typed-mix").value = displayMixText();
  settingsChanged();
}

function bindControls() {
  for (const button of document.querySelectorAll(".language")) {
    button.addEventListener("click", () => setLanguage(button.dataset.language));
  }
  for (const id of ["grade", "framing", "view"]) {
    $(id).addEventListener("change", () => {
      state[id] = $(id).value;
      settingsChanged();
    });
  }
  $("seed").addEventListener("change", () => {
    const seed = Number($("seed").value);
    if (Number.isInteger(seed) && seed >= 0 && seed <= 4294967295) state.seed = seed;
    $("seed").value = String(state.seed);
    settingsChanged();
  });
  $("new-seed").addEventListener("click", () => {
    state.seed = Math.floor(Math.random() * SEED_LIMIT);
    $("seed").value = String(state.seed);
    settingsChanged();
  });
  $("typed-mix").addEventListener("input", debounce(checkTypedMix, TYPING_DEBOUNCE_MS));
  $("photoreal").addEventListener("click", requestRender);
  $("copy-link").addEventListener("click", async () => {
    $("share-link").select();
    await navigator.clipboard?.writeText($("share-link").value).catch(() => {});
    $("preview-status").textContent = text(state.language, "copied");
  });
  for (const id of ["area", "thickness", "crumb-rate", "binder-percent"]) $(id).addEventListener("input", estimateSoon);
}

// ------------------------------------------------------------ start: the URL's settings, else the defaults

async function start() {
  config = await (await fetch("/api/config")).json();
  byName = new Map(config.colors.map((c) => [c.name, c]));
  const params = new URLSearchParams(location.search);
  state.language = LANGUAGES.includes(params.get("lang")) ? params.get("lang") : "ru";
  for (const [key, choices] of [["grade", config.grades], ["framing", config.framings], ["view", config.views]]) {
    if (choices.includes(params.get(key))) state[key] = params.get(key);
  }
  const seed = Number(params.get("seed"));
  state.seed = params.has("seed") && Number.isInteger(seed) && seed >= 0 ? seed : Math.floor(Math.random() * SEED_LIMIT);
  $("seed").value = String(state.seed);
  $("crumb-rate").placeholder = String(config.materials.crumb_kg_per_m2);
  $("binder-percent").placeholder = String(config.materials.binder_percent);
  document.body.classList.toggle("embedded", params.get("embed") === "1");
  const { ok, data } = await postJson("/api/mix", { text: params.get("mix") || DEFAULT_MIX, language: state.language });
  const colors = ok ? data.colors : (await postJson("/api/mix", { text: DEFAULT_MIX, language: "en" })).data.colors;
  state.colors = colors.map((c) => ({ name: c.name, parts: c.parts }));
  bindControls();
  setLanguage(state.language);
  if (!ok) {
    $("typed-mix").value = params.get("mix");
    showMixError(data.error);
  }
  document.body.dataset.ready = "true";
}

start();
// For the browser tests and the console: the share arithmetic is the page's own.
window.tileShares = { distribute, setShare, addShare, removeShare };
