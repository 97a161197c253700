// The configurator page: reads the share link, mounts each panel (a module with `mount(page)`, see
// page.js), keeps the URL a share link of what is shown, and switches the language.

import { $, postJson } from "./dom.js";
import { LANGUAGES, translatePage } from "./i18n.js";
import { DEFAULT_MIX, createPage, readShareLink, shareQuery, shareUrl, tileQuery } from "./page.js";
import * as estimatePanel from "./estimate_panel.js";
import * as options from "./options.js";
import * as preview from "./preview.js";
import * as renderPanel from "./render_panel.js";
import * as shareRows from "./share_rows.js";
import { distribute, addShare, removeShare, setShare } from "./shares.js";
import * as swatches from "./swatches.js";
import * as typedMix from "./typed_mix.js";
import * as visualiserPanel from "./visualiser_panel.js";

const PANELS = [swatches, shareRows, typedMix, options, preview, renderPanel, estimatePanel, visualiserPanel];
const DOWNLOAD_SIZE = 1024; // the live preview is 512 px; the PNG download the same picture at twice the size

function updateLinks(page) {
  const { state } = page;
  const url = shareUrl(state);
  history.replaceState(null, "", url);
  $("share-link").value = url;
  const download = new URLSearchParams({ ...tileQuery(state), format: "png", size: String(DOWNLOAD_SIZE) });
  $("download").href = `/api/preview?${download}`;
  $("download").download = `tile-${state.seed}.png`;
  $("quote-pdf").href = `/api/quote.pdf?${shareQuery(state)}`; // the server writes the same share link into it
  $("quote-pdf").download = `tile-${state.seed}.pdf`;
}

function setLanguage(page, language) {
  page.state.language = LANGUAGES.includes(language) ? language : "ru";
  translatePage(page.state.language);
  for (const button of document.querySelectorAll(".language")) {
    button.setAttribute("aria-pressed", button.dataset.language === page.state.language ? "true" : "false");
  }
  page.changed("language");
}

async function readMix(text, language) {
  const { ok, data } = await postJson("/api/mix", { text, language });
  if (ok) return { colors: data.colors, error: null };
  const fallback = (await postJson("/api/mix", { text: DEFAULT_MIX, language: "en" })).data;
  return { colors: fallback.colors, error: data?.error };
}

async function start() {
  const config = await (await fetch("/api/config")).json();
  const page = createPage(config);
  const params = new URLSearchParams(location.search);
  const typed = readShareLink(page, params);
  document.body.classList.toggle("embedded", params.get("embed") === "1");
  const { colors, error } = await readMix(typed, page.state.language);
  page.state.colors = colors.map((c) => ({ name: c.name, parts: c.parts }));
  translatePage(page.state.language);
  for (const button of document.querySelectorAll(".language")) {
    button.addEventListener("click", () => setLanguage(page, button.dataset.language));
  }
  page.on(() => updateLinks(page));
  for (const panel of PANELS) panel.mount(page);
  setLanguage(page, page.state.language);
  page.changed("colors");
  if (error) typedMix.showTypedError(page, typed, error);
  $("copy-link").addEventListener("click", async () => {
    $("share-link").select();
    await navigator.clipboard?.writeText($("share-link").value).catch(() => {});
    $("copy-note").textContent = page.text("copied");
  });
  window.tilePage = page;
  document.body.dataset.ready = "true";
}

start();
// For the browser tests and the console: the share arithmetic is the page's own.
window.tileShares = { distribute, setShare, addShare, removeShare };
