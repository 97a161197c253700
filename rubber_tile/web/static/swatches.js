// The colour swatches: compact chips grouped by hue, named and ordered in the page's language.
// Choosing one adds it to the mix (an equal share, the others shrink); choosing it again removes it.
// The buttons are updated in place, so Space or Enter on a swatch keeps the focus on it.

import { $, element } from "./dom.js";
import { LOCALES } from "./i18n.js";
import { MIX_KINDS, colorName } from "./page.js";
import { addShare, removeShare } from "./shares.js";

// Hue groups, in the order they are shown; each of the 29 colours is in one.
export const HUE_GROUPS = {
  neutral: ["white", "pearl", "light gray", "gray", "dark gray", "black"],
  earth: ["beige", "sand", "khaki", "brown", "terracotta"],
  warm: ["red", "salmon", "pink", "orange"],
  yellow: ["yellow"],
  green: ["white-green", "light green", "lime green", "green apple", "grass green", "emerald", "dark green"],
  blue: ["sky blue", "turquoise", "blue", "dark blue"],
  violet: ["lilac", "violet"],
};

function isLight(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  return 0.299 * r + 0.587 * g + 0.114 * b > 150;
}

function swatchButton(page, color) {
  const button = element("button", { type: "button", className: "swatch", dataset: { color: color.name } });
  const chip = element("span", { className: `chip${isLight(color.hex) ? " light" : ""}` });
  chip.style.background = color.hex;
  chip.setAttribute("aria-hidden", "true");
  button.append(chip, element("span", { className: "swatch-name" }));
  button.addEventListener("click", () => toggleColor(page, color.name));
  return button;
}

function build(page) {
  const box = $("swatches");
  const collator = new Intl.Collator(LOCALES[page.state.language]);
  const groups = Object.entries(HUE_GROUPS).map(([group, names]) => {
    const sorted = names.filter((name) => page.byName.has(name)).sort((a, b) => collator.compare(colorName(page, a), colorName(page, b)));
    const heading = element("span", { className: "swatch-group-name", id: `swatch-group-${group}` }, page.text("groups")[group]);
    const list = element("div", { className: "swatch-group", role: "group", ariaLabelledby: `swatch-group-${group}` }, heading);
    list.append(...sorted.map((name) => swatchButton(page, page.byName.get(name))));
    return list;
  });
  box.replaceChildren(...groups);
  update(page);
}

// The pressed state, names and titles, in place.
function update(page) {
  const chosen = new Set(page.state.colors.map((c) => c.name));
  for (const button of $("swatches").querySelectorAll(".swatch")) {
    const name = button.dataset.color;
    button.setAttribute("aria-pressed", chosen.has(name) ? "true" : "false");
    button.querySelector(".swatch-name").textContent = colorName(page, name);
  }
  $("chosen-count").textContent = page.text("chosen", page.state.colors.length, page.config.max_colors);
}

export function toggleColor(page, name) {
  const state = page.state;
  const index = state.colors.findIndex((c) => c.name === name);
  $("swatch-note").textContent = "";
  if (index >= 0) {
    if (state.colors.length === 1) {
      $("swatch-note").textContent = page.text("min_one");
      return;
    }
    const parts = removeShare(state.colors.map((c) => c.parts), index);
    state.colors.splice(index, 1);
    state.colors.forEach((c, i) => (c.parts = parts[i]));
  } else if (state.colors.length >= page.config.max_colors) {
    $("swatch-note").textContent = page.text("max_reached", page.config.max_colors);
    return;
  } else {
    const parts = addShare(state.colors.map((c) => c.parts));
    state.colors.push({ name, parts: parts[parts.length - 1] });
    state.colors.forEach((c, i) => (c.parts = parts[i]));
  }
  page.changed("colors");
}

export function mount(page) {
  build(page);
  page.on((kind) => {
    if (kind === "language") build(page);
    else if (MIX_KINDS.includes(kind)) update(page);
  });
}
