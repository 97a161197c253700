// The page's state in one object, the events panels listen to, and the share link (the URL) it makes.
// A panel is a module with `mount(page)`: it reads `page.state`, calls `page.changed(kind)` when the
// customer changes something, and listens with `page.on(listener)`. Kinds: colors (a colour added or
// removed), shares (a share moved), typed (the mix replaced from the typed text), options (grade,
// framing, view, seed), language, estimate (its inputs). A new panel (issue 22's visualiser) mounts the same way.

import { LANGUAGES, text } from "./i18n.js";

export const DEFAULT_MIX = "50% red, 30% black, 20% pearl";
export const SEED_LIMIT = 2 ** 31;
export const MIX_KINDS = ["colors", "shares", "typed"];
const SHARE_KEYS = { mix: "mix", seed: "seed", grade: "grade", framing: "framing", view: "view", lang: "language", area: "area", thickness: "thickness", crumb: "crumbRate", binder: "binderPercent" };

export function createPage(config) {
  const listeners = [];
  const page = {
    config,
    byName: new Map(config.colors.map((color) => [color.name, color])),
    state: {
      language: "ru",
      colors: [], // [{name, parts}] in the customer's order, parts summing to 100
      seed: 0,
      grade: "standard",
      framing: "full_frame",
      view: "top",
      area: "10",
      thickness: "10",
      crumbRate: "",
      binderPercent: "",
    },
    text: (key, ...args) => text(page.state.language, key, ...args),
    on(listener) {
      listeners.push(listener);
    },
    changed(kind) {
      for (const listener of listeners) listener(kind);
    },
  };
  return page;
}

export function colorName(page, name) {
  const color = page.byName.get(name);
  return page.state.language === "ru" ? color.russian : color.name;
}

// `50% red, 30% black, 20% pearl`: the mix the server reads (canonical names).
export function mixText(state) {
  return state.colors.map((c) => `${c.parts}% ${c.name}`).join(", ");
}

// `50% красный, 30% чёрный, 20% жемчужный`: the mix in the page's language.
export function displayMix(page, colors = page.state.colors) {
  return colors.map((c) => `${c.parts}% ${colorName(page, c.name)}`).join(", ");
}

export function tileQuery(state) {
  return { mix: mixText(state), seed: String(state.seed), grade: state.grade, framing: state.framing, view: state.view };
}

// The share link's query: the tile, the language and the estimate's inputs (empty ones left out).
export function shareQuery(state) {
  const query = new URLSearchParams();
  for (const [key, field] of Object.entries(SHARE_KEYS)) {
    const value = key === "mix" ? mixText(state) : String(state[field]);
    if (value !== "") query.set(key, value);
  }
  return query;
}

export function shareUrl(state) {
  return `${location.origin}${location.pathname}?${shareQuery(state)}`;
}

// The settings a share link carries, checked against the config's choices; the mix is read by the server.
export function readShareLink(page, params) {
  const state = page.state;
  state.language = LANGUAGES.includes(params.get("lang")) ? params.get("lang") : "ru";
  for (const [key, choices] of [["grade", page.config.grades], ["framing", page.config.framings], ["view", page.config.views]]) {
    if (choices.includes(params.get(key))) state[key] = params.get(key);
  }
  const seed = Number(params.get("seed"));
  state.seed = params.has("seed") && Number.isInteger(seed) && seed >= 0 ? seed : Math.floor(Math.random() * SEED_LIMIT);
  for (const [key, field] of [["area", "area"], ["thickness", "thickness"], ["crumb", "crumbRate"], ["binder", "binderPercent"]]) {
    if (params.has(key)) state[field] = params.get(key).slice(0, 40);
  }
  return params.get("mix") || DEFAULT_MIX;
}
