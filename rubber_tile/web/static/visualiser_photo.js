// The customer's photo, read in the browser only: decoded with its EXIF orientation, scaled so its
// long side is at most WORKING_SIDE px (a 12 MP phone photo becomes 1280 x 960). Nothing is sent.

export const WORKING_SIDE = 1280;
export const MAX_FILE_BYTES = 40 * 1024 * 1024;

// A photo the browser cannot use; `code`: too_big, unreadable (HEIC on a browser without it, not an
// image, a broken file). The page says what to do in its language.
export class PhotoError extends Error {
  constructor(code, detail = "") {
    super(`${code}${detail ? `: ${detail}` : ""}`);
    this.code = code;
    this.detail = detail;
  }
}

export function looksLikeHeic(file) {
  return /hei[cf]/i.test(file.type || "") || /\.hei[cf]$/i.test(file.name || "");
}

// The photo as an ImageBitmap at most `longSide` px on its long side, turned as its EXIF says.
export async function loadPhoto(file, longSide = WORKING_SIDE) {
  if (file.size > MAX_FILE_BYTES) throw new PhotoError("too_big", `${Math.round(file.size / 1048576)} MB`);
  let full;
  try {
    full = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (error) {
    throw new PhotoError(looksLikeHeic(file) ? "heic" : "unreadable", file.type || file.name || "");
  }
  const scale = Math.min(1, longSide / Math.max(full.width, full.height));
  if (scale === 1) return { bitmap: full, originalWidth: full.width, originalHeight: full.height };
  const width = Math.max(1, Math.round(full.width * scale));
  const height = Math.max(1, Math.round(full.height * scale));
  const bitmap = await createImageBitmap(full, { resizeWidth: width, resizeHeight: height, resizeQuality: "high" });
  const size = { originalWidth: full.width, originalHeight: full.height };
  full.close();
  return { bitmap, ...size };
}
