// One row per chosen colour: its name, its share as a number, a remove button and a full-width slider.
// Shares are whole parts that always sum to 100 (shares.js). Rows are updated in place while a slider
// moves, so the slider stays under the customer's finger; they are rebuilt when colours change.

import { $, element } from "./dom.js";
import { colorName } from "./page.js";
import { setShare, sum } from "./shares.js";
import { toggleColor } from "./swatches.js";

function row(page, color, index) {
  const name = colorName(page, color.name);
  const chip = element("span", { className: "chip" });
  chip.style.background = page.byName.get(color.name).hex;
  chip.setAttribute("aria-hidden", "true");
  const label = element("span", { className: "share-name", id: `share-name-${index}` }, name);
  const number = element("input", { type: "number", min: 1, max: 100, step: 1, value: color.parts, className: "share-number", inputMode: "numeric" });
  number.setAttribute("aria-label", page.text("share_of", name));
  const remove = element("button", { type: "button", className: "remove", disabled: page.state.colors.length === 1 });
  remove.setAttribute("aria-label", page.text("remove", name));
  remove.append(element("span", { ariaHidden: "true" }, "×"));
  const slider = element("input", { type: "range", min: 1, max: 100, step: 1, value: color.parts, className: "share-slider" });
  slider.setAttribute("aria-label", page.text("share_of", name));
  slider.addEventListener("input", () => changeShare(page, index, Number(slider.value)));
  number.addEventListener("change", () => changeShare(page, index, Number(number.value)));
  remove.addEventListener("click", () => removeColor(page, color.name, index));
  return element("div", { className: "share-row", dataset: { color: color.name } }, chip, label, number, remove, slider);
}

function build(page) {
  $("shares").replaceChildren(...page.state.colors.map((color, index) => row(page, color, index)));
  $("share-sum").textContent = String(sum(page.state.colors.map((c) => c.parts)));
}

function changeShare(page, index, value) {
  const parts = setShare(page.state.colors.map((c) => c.parts), index, value);
  page.state.colors.forEach((c, i) => (c.parts = parts[i]));
  for (const [i, shareRow] of [...$("shares").children].entries()) {
    const number = shareRow.querySelector(".share-number");
    shareRow.querySelector(".share-slider").value = String(parts[i]);
    if (document.activeElement !== number) number.value = String(parts[i]);
  }
  $("share-sum").textContent = String(sum(parts));
  page.changed("shares");
}

// The focus moves to the row that takes the removed one's place (or the last), never to the page body.
function removeColor(page, name, index) {
  toggleColor(page, name);
  const rows = $("shares").children;
  rows[Math.min(index, rows.length - 1)]?.querySelector(".share-slider")?.focus();
}

export function mount(page) {
  page.on((kind) => {
    if (kind === "colors" || kind === "typed" || kind === "language") build(page);
  });
}

