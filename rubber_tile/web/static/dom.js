// Small helpers every panel uses.

export const $ = (id) => document.getElementById(id);

export function element(tag, properties = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(properties)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("aria") || key === "role") node.setAttribute(key.replace(/^aria/, "aria-").toLowerCase(), value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

export function debounce(fn, ms) {
  let timer = 0;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

// { ok, status, data } of a JSON POST; `data` null when the answer was not JSON (a proxy's error page).
export async function postJson(path, body, signal) {
  const reply = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), signal });
  const data = await reply.json().catch(() => null);
  return { ok: reply.ok, status: reply.status, data };
}

export function isCyrillic(value) {
  return /[\u0400-\u04FF]/.test(value || "");
}
