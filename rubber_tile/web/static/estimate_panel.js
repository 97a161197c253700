// The material estimate as a buyer orders it: for the customer's thickness, kg and 25 kg bags of each
// colour, binder in barrels and buckets, tiles, costs where the maker set prices; and the kg at 10,
// 15, 20 and 25 mm. The numbers are sent as typed (`12,5`): the server reads them and, when one is
// wrong, says why in the page's language; the figures are then cleared, never left stale.

import { $, debounce, element, postJson } from "./dom.js";
import { formatMoney, formatNumber } from "./i18n.js";
import { MIX_KINDS, colorName, mixText } from "./page.js";

const ESTIMATE_DEBOUNCE_MS = 200;
const FIELDS = { area: "area", thickness: "thickness", "crumb-rate": "crumbRate", "binder-percent": "binderPercent" };
const FIELD_OF_INPUT = { area_m2: "area", thickness_mm: "thickness", crumb_kg_per_m2: "crumb-rate", binder_percent: "binder-percent" };
let sequence = 0;

function cells(values, header = 0) {
  return values.map((value, i) => element(i < header ? "th" : "td", i < header ? { scope: "row" } : {}, value));
}

function binderOrder(page, binder, constants) {
  const parts = [];
  if (binder.barrels) parts.push(page.text("barrels", binder.barrels, constants.binder_barrel_kg));
  if (binder.buckets || !binder.barrels) parts.push(page.text("buckets", binder.buckets, constants.binder_bucket_kg));
  return parts.join(page.text("and"));
}

function showFigures(page, result) {
  const { language } = page.state;
  const kg = (value) => formatNumber(language, value);
  const currency = result.prices?.currency;
  const money = (value) => (value === null || value === undefined ? "—" : formatMoney(language, value, currency));
  const priced = Boolean(result.prices);
  $("order-heading").textContent = page.text("order_heading", formatNumber(language, result.thickness_mm));
  $("estimate-table").querySelector("th.cost").hidden = !priced;
  $("estimate-table").tHead.rows[0].cells[2].textContent = page.text("bags_of", result.constants.crumb_bag_kg);
  $("estimate-table").tBodies[0].replaceChildren(
    ...result.colors.map((c) => {
      const row = element("tr", { dataset: { color: c.name, kg: String(c.kg), bags: String(c.bags) } });
      row.append(...cells([`${colorName(page, c.name)} · ${formatNumber(language, c.percent)}%`, kg(c.kg), String(c.bags)], 1));
      if (priced) row.append(element("td", {}, money(c.cost)));
      return row;
    }),
  );
  const foot = element("tr", { className: "crumb-total" }, ...cells([page.text("crumb_total"), kg(result.crumb_kg), String(result.crumb_bags)], 1));
  if (priced) foot.append(element("td"));
  $("estimate-table").tFoot.replaceChildren(foot);
  const binderLine = $("estimate-binder");
  binderLine.textContent = page.text("binder_line", kg(result.binder_kg), binderOrder(page, result.binder, result.constants));
  binderLine.dataset.barrels = String(result.binder.barrels);
  binderLine.dataset.buckets = String(result.binder.buckets);
  $("estimate-tiles").textContent = page.text("tiles_line", formatNumber(language, result.tiles, 0));
  const total = $("estimate-total");
  total.hidden = !priced;
  if (priced) {
    const missing = result.prices.missing.map((name) => (name === "binder" ? page.text("binder") : colorName(page, name)));
    total.textContent = result.prices.total === null ? page.text("total_missing", missing.join(", ")) : page.text("total_line", money(result.prices.total));
  }
  $("thickness-table").tBodies[0].replaceChildren(
    ...result.by_thickness.map((row) => {
      const line = element("tr", { dataset: { thickness: String(row.thickness_mm) } }, ...cells([page.text("millimetres", formatNumber(language, row.thickness_mm)), kg(row.crumb_kg), kg(row.binder_kg), kg(row.total_kg)], 1));
      if (row.thickness_mm === result.thickness_mm) line.setAttribute("aria-current", "true");
      return line;
    }),
  );
  const c = result.constants;
  $("estimate-formula").textContent = page.text("formula", formatNumber(language, c.crumb_kg_per_m2, 2), formatNumber(language, c.binder_percent, 2), c.crumb_bag_kg, c.binder_bucket_kg, c.binder_barrel_kg, c.tiles_per_m2);
  $("estimate-result").hidden = false;
}

// A refusal: the figures go, the message says why, the field it names is marked.
function showError(page, message, field) {
  $("estimate-result").hidden = true;
  const box = $("estimate-error");
  box.hidden = !message;
  box.textContent = message || "";
  for (const id of Object.keys(FIELDS)) $(id).setAttribute("aria-invalid", id === field ? "true" : "false");
}

async function estimate(page) {
  const { state } = page;
  const body = { mix: mixText(state), area_m2: state.area, thickness_mm: state.thickness, language: state.language };
  if (state.crumbRate.trim()) body.crumb_kg_per_m2 = state.crumbRate;
  if (state.binderPercent.trim()) body.binder_percent = state.binderPercent;
  const mine = ++sequence;
  let reply;
  try {
    reply = await postJson("/api/estimate", body);
  } catch {
    if (mine === sequence) showError(page, page.text("estimate_unavailable"), "");
    return;
  }
  if (mine !== sequence) return;
  if (!reply.ok || !reply.data) {
    const error = reply.data?.error;
    showError(page, error ? error.message : page.text("estimate_unavailable"), FIELD_OF_INPUT[error?.field] || "");
    return;
  }
  showError(page, null, "");
  showFigures(page, reply.data);
}

export function mount(page) {
  const soon = debounce(() => estimate(page), ESTIMATE_DEBOUNCE_MS);
  for (const [id, field] of Object.entries(FIELDS)) {
    $(id).value = page.state[field];
    $(id).addEventListener("input", () => {
      page.state[field] = $(id).value;
      page.changed("estimate");
      soon();
    });
  }
  $("crumb-rate").placeholder = String(page.config.materials.crumb_kg_per_m2).replace(".", page.state.language === "ru" ? "," : ".");
  $("binder-percent").placeholder = String(page.config.materials.binder_percent);
  page.on((kind) => {
    if ([...MIX_KINDS, "language"].includes(kind)) soon();
  });
  if (page.state.crumbRate || page.state.binderPercent) $("crumb-rate").closest("details").open = true;
  estimate(page);
}
