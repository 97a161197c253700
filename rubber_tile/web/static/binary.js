// The server's binary documents (rubber_tile/web/layouts.py): `RTL1`, a uint32 header length, a JSON
// header listing the arrays, then the arrays, each 8-byte aligned and little-endian.

const MAGIC = "RTL1";
const TYPES = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
};

export function readDocument(buffer) {
  const bytes = new Uint8Array(buffer);
  if (String.fromCharCode(...bytes.subarray(0, 4)) !== MAGIC) throw new Error("not a layout document");
  const length = new DataView(buffer).getUint32(4, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  const start = 8 + length;
  const arrays = {};
  for (const item of header.arrays) {
    const count = item.shape.reduce((product, side) => product * side, 1);
    arrays[item.name] = new TYPES[item.dtype](buffer, start + item.offset, count);
  }
  return { header, arrays };
}

export async function fetchDocument(url, signal) {
  const reply = await fetch(url, { signal });
  if (!reply.ok) throw new Error(`${url}: ${reply.status}`);
  return readDocument(await reply.arrayBuffer());
}
