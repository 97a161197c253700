// The photoreal picture, ordered from the render server (contract B: GET /api/renders/{id} and its
// server-sent `status` events give status, queue_position, progress, error {code, message}, inputs).
// Nothing shows before it is ready: no empty picture, no download without a link. Errors are shown in
// the page's language with what to do; the picture is labelled with its mix and marked when the mix
// or settings changed since. When /api/health says the server only draws previews, the panel says so.

import { $, isCyrillic, postJson } from "./dom.js";
import { MIX_KINDS, displayMix, tileQuery } from "./page.js";

const FINAL = ["succeeded", "failed", "canceled"];
const POLL_INTERVAL_MS = 1000;
let order = null; // the last order's news
let asked = null; // what was ordered: {query, colors, grade, seed, view}
let events = null;

function advice(code = "") {
  if (code === "mix") return "mix";
  if (/busy|queue|rate|limit|too_many/.test(code)) return "busy";
  if (/unreach|unavailable|render_server|cog|connect|down/.test(code)) return "unreachable";
  if (/time/.test(code)) return "timed_out";
  return "generic";
}

// The server's message when it is in the page's language (contract B), else the page's own words.
function failureText(page, error) {
  const message = error?.message || "";
  const inLanguage = message && isCyrillic(message) === (page.state.language === "ru");
  return inLanguage ? message : page.text("render_error_generic");
}

function statusText(page, news) {
  const progress = news.progress || { done: 0, total: 0 };
  switch (news.status) {
    case "queued":
      return page.text("render_queued", news.queue_position);
    case "processing":
      return page.text("render_processing", progress.done, progress.total);
    case "failed":
      return `${page.text("render_failed")} ${failureText(page, news.error)}`;
    default:
      return page.text(`render_${news.status}`);
  }
}

function showPicture(page, news) {
  const ready = news.status === "succeeded" && Boolean(news.image_url);
  $("render-figure").hidden = !ready;
  $("render-download").hidden = !ready;
  if (!ready) return;
  const image = $("render-image");
  if (image.getAttribute("src") !== news.image_url) image.src = news.image_url;
  const grade = page.text("grade_short")[asked.grade];
  const mix = displayMix(page, asked.colors);
  image.alt = page.text("alt", mix, grade, asked.view === "installed");
  $("render-caption").textContent = page.text("render_caption", mix, grade, asked.seed);
  const link = $("render-download");
  link.href = news.image_url;
  link.download = `tile-photoreal-${asked.seed}.png`;
}

function show(page, news) {
  order = news;
  const status = $("render-status");
  status.dataset.status = news.status;
  status.dataset.arrivedVia = news.arrived_via || "";
  status.textContent = statusText(page, news);
  const total = news.progress?.total || 0;
  const bar = $("render-progress");
  bar.hidden = !(news.status === "processing" && total);
  bar.max = Math.max(total, 1);
  bar.value = news.progress?.done || 0;
  const tip = $("render-advice");
  tip.hidden = news.status !== "failed";
  tip.textContent = news.status === "failed" ? page.text("render_advice")[advice(news.error?.code)] : "";
  showPicture(page, news);
  $("photoreal").disabled = !FINAL.includes(news.status);
  markStale(page);
}

// The picture (or the order in flight) no longer shows the page's mix and settings.
function markStale(page) {
  const stale = Boolean(asked) && order?.status !== "failed" && JSON.stringify(asked.query) !== JSON.stringify(tileQuery(page.state));
  $("render-stale").hidden = !stale;
  $("render-stale").textContent = stale ? page.text("render_stale") : "";
  $("render-figure").dataset.stale = stale ? "true" : "false";
}

async function requestRender(page) {
  const { state } = page;
  asked = { query: tileQuery(state), colors: state.colors.map((c) => ({ ...c })), grade: state.grade, seed: state.seed, view: state.view };
  $("render").hidden = false;
  events?.close();
  show(page, { status: "starting" });
  let reply;
  try {
    reply = await postJson("/api/renders", { ...tileQuery(state), seed: state.seed, language: state.language });
  } catch {
    show(page, { status: "failed", error: { code: "unreachable" } });
    return;
  }
  if (!reply.ok || !reply.data) {
    show(page, { status: "failed", error: reply.data?.error || { code: `http_${reply.status}` } });
    return;
  }
  show(page, reply.data);
  follow(page, reply.data);
}

// Server-sent events carry each change; polling is the fallback where they cannot be used.
function follow(page, news) {
  if (FINAL.includes(news.status)) return;
  if (!("EventSource" in window) || !news.events_url) {
    setTimeout(() => poll(page, news.id), POLL_INTERVAL_MS);
    return;
  }
  events = new EventSource(news.events_url);
  events.addEventListener("status", (event) => {
    const fresh = JSON.parse(event.data);
    if (fresh.id !== order?.id) return;
    show(page, fresh);
    if (FINAL.includes(fresh.status)) events.close();
  });
  events.addEventListener("error", () => {
    if (FINAL.includes(order?.status)) return;
    events.close();
    poll(page, news.id);
  });
}

async function poll(page, id) {
  let reply;
  try {
    reply = await fetch(`/api/renders/${id}`);
  } catch {
    setTimeout(() => poll(page, id), POLL_INTERVAL_MS);
    return;
  }
  const news = await reply.json().catch(() => null);
  if (id !== order?.id) return;
  if (!reply.ok || !news) return show(page, { id, status: "failed", error: news?.error || { code: `http_${reply.status}` } });
  show(page, news);
  if (!FINAL.includes(news.status)) setTimeout(() => poll(page, id), POLL_INTERVAL_MS);
}

async function checkBackend(page) {
  const health = await fetch("/api/health").then((reply) => reply.json()).catch(() => ({}));
  const previewOnly = health.render_backend === "preview";
  $("render-backend-note").hidden = !previewOnly;
  $("render-backend-note").dataset.backend = health.render_backend || "unknown";
  page.renderBackend = health.render_backend || "unknown";
  if (previewOnly) $("render-backend-note").textContent = page.text("render_backend_preview");
}

export function mount(page) {
  $("photoreal").addEventListener("click", () => requestRender(page));
  page.on((kind) => {
    if (kind === "language") {
      if (order) show(page, order);
      if (page.renderBackend === "preview") $("render-backend-note").textContent = page.text("render_backend_preview");
    } else if ([...MIX_KINDS, "options"].includes(kind)) markStale(page);
  });
  checkBackend(page);
}
