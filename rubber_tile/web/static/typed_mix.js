// The mix typed in words: read by the server's parser as the customer types. A refusal shows each
// problem, the fixes the server checked (a click puts the corrected text in the field), and, where
// the text did not read, an example and the colours. A mix whose shares were scaled says what it became.
// Clearing the field clears its error.

import { $, debounce, element, postJson } from "./dom.js";
import { formatNumber } from "./i18n.js";
import { displayMix } from "./page.js";

const TYPING_DEBOUNCE_MS = 250;
const LOST_CODES = ["unknown_colour", "unreadable", "empty"];
let sequence = 0;

function showError(page, error) {
  const box = $("mix-error");
  box.replaceChildren();
  box.hidden = !error;
  $("typed-mix").setAttribute("aria-invalid", error ? "true" : "false");
  if (!error) return;
  const mix = error.mix || { problems: [{ code: error.code, message: error.message, fixes: [] }] };
  for (const problem of mix.problems) {
    box.append(element("p", { className: "problem", dataset: { code: problem.code || error.code } }, problem.message));
    const fixes = problem.fixes || [];
    if (fixes.length) {
      const line = element("p", { className: "fixes" }, page.text("fix_with"), " ");
      for (const fix of fixes) {
        const button = element("button", { type: "button", className: "suggestion", dataset: { fix: fix.text } }, fix.label);
        button.addEventListener("click", () => applyFix(page, fix.text));
        line.append(button, " ");
      }
      box.append(line);
    }
  }
  if (mix.problems.some((problem) => LOST_CODES.includes(problem.code))) {
    box.append(element("p", { className: "example" }, page.text("example")));
    if (mix.footer) box.append(element("p", { className: "known-colors" }, mix.footer));
  }
}

function showNote(page, reply) {
  const note = $("mix-note");
  const asked = reply && reply.colors.map((c) => c.asked);
  const differs = reply && reply.colors.some((c) => c.asked !== c.parts);
  note.hidden = !differs;
  note.textContent = differs ? page.text("typed_became", formatNumber(page.state.language, reply.asked_total, 2), displayMix(page, reply.colors)) : "";
  note.dataset.asked = asked ? asked.join(",") : "";
}

function applyFix(page, text) {
  $("typed-mix").value = text;
  $("typed-mix").focus();
  check(page);
}

async function check(page) {
  const typed = $("typed-mix").value;
  const mine = ++sequence;
  if (!typed.trim()) {
    showError(page, null);
    showNote(page, null);
    return;
  }
  let reply;
  try {
    reply = await postJson("/api/mix", { text: typed, language: page.state.language });
  } catch {
    reply = { ok: false, data: null };
  }
  const { ok, data } = reply;
  if (mine !== sequence) return; // the customer typed on
  if (!ok) {
    showError(page, data ? data.error : { code: "offline", message: page.text("offline") });
    showNote(page, null);
    return;
  }
  showError(page, null);
  showNote(page, data);
  page.state.colors = data.colors.map((c) => ({ name: c.name, parts: c.parts }));
  page.changed("typed");
}

export function showTypedError(page, typed, error) {
  $("typed-mix").value = typed;
  showError(page, error);
}

export function mount(page) {
  const field = $("typed-mix");
  const soon = debounce(() => check(page), TYPING_DEBOUNCE_MS);
  field.addEventListener("input", () => {
    if (!field.value.trim()) check(page); // cleared: the error goes at once
    else soon();
  });
  page.on((kind) => {
    if (kind === "colors" || kind === "shares") {
      field.value = displayMix(page);
      showError(page, null);
      showNote(page, null);
    } else if (kind === "language") {
      if (!$("mix-error").hidden || !$("mix-note").hidden) check(page); // again, in the new language
      else field.value = displayMix(page);
    }
  });
}

