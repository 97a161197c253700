// Whole-part shares that always sum to 100: every chosen colour keeps at least 1 part.

export const TOTAL = 100;

// `total` split over `weights` in proportion, as whole numbers, each at least 1 (largest remainders first).
export function distribute(total, weights) {
  const count = weights.length;
  if (count === 0) return [];
  const free = total - count;
  const weightSum = weights.reduce((sum, w) => sum + Math.max(w, 0), 0);
  const exact = weights.map((w) => (weightSum > 0 ? (free * Math.max(w, 0)) / weightSum : free / count));
  const parts = exact.map((x) => 1 + Math.floor(x));
  let missing = total - parts.reduce((sum, p) => sum + p, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; missing > 0; k = (k + 1) % count, missing -= 1) parts[order[k][1]] += 1;
  return parts;
}

// Set colour `index` to `value` (clamped so the others keep 1 each); the others share the rest as before.
export function setShare(parts, index, value) {
  const count = parts.length;
  if (count === 1) return [TOTAL];
  const wanted = Math.round(Number.isFinite(value) ? value : parts[index]);
  const clamped = Math.min(Math.max(wanted, 1), TOTAL - (count - 1));
  const others = parts.filter((_, i) => i !== index);
  const rest = distribute(TOTAL - clamped, others);
  const result = [];
  for (let i = 0, k = 0; i < count; i += 1) result.push(i === index ? clamped : rest[k++]);
  return result;
}

// A new colour joins with an equal share; the others shrink in proportion.
export function addShare(parts) {
  const count = parts.length + 1;
  const share = Math.round(TOTAL / count);
  return [...distribute(TOTAL - share, parts), share];
}

// A colour leaves; the others grow in proportion.
export function removeShare(parts, index) {
  const others = parts.filter((_, i) => i !== index);
  return distribute(TOTAL, others);
}

export function sum(parts) {
  return parts.reduce((total, p) => total + p, 0);
}
