// Grade, view, framing and the granule layout's number. The framing does nothing in the installed
// view, so it is disabled there, with a note saying why.

import { $, element } from "./dom.js";
import { SEED_LIMIT } from "./page.js";

const SEED_MAX = 4294967295;

function fillSelect(page, id, choices, current) {
  $(id).replaceChildren(
    ...choices.map((choice) => element("option", { value: choice, selected: choice === current }, page.text(`${id}_${choice}`))),
  );
}

function fill(page) {
  const { config, state } = page;
  fillSelect(page, "grade", config.grades, state.grade);
  fillSelect(page, "framing", config.framings, state.framing);
  fillSelect(page, "view", config.views, state.view);
  $("seed").value = String(state.seed);
  const installed = state.view === "installed";
  $("framing").disabled = installed;
  $("framing-note").hidden = !installed;
}

export function mount(page) {
  for (const id of ["grade", "framing", "view"]) {
    $(id).addEventListener("change", () => {
      page.state[id] = $(id).value;
      fill(page);
      page.changed("options");
    });
  }
  $("seed").addEventListener("change", () => {
    const seed = Number($("seed").value);
    if (Number.isInteger(seed) && seed >= 0 && seed <= SEED_MAX) page.state.seed = seed;
    $("seed").value = String(page.state.seed);
    page.changed("options");
  });
  $("new-seed").addEventListener("click", () => {
    page.state.seed = Math.floor(Math.random() * SEED_LIMIT);
    $("seed").value = String(page.state.seed);
    page.changed("options");
  });
  page.on((kind) => {
    if (kind === "language") fill(page);
  });
  fill(page);
}
