// The page's texts, Russian first. Colour names come from /api/config (the project's vocabulary);
// mix and estimate errors come from the server, already in the page's language.

export const LANGUAGES = ["ru", "en"];
export const LOCALES = { ru: "ru-RU", en: "en-GB" };

// 1 ведро, 2 ведра, 5 вёдер; 21 ведро, 12 вёдер.
export function russianPlural(n, one, few, many) {
  const tens = n % 100;
  const units = n % 10;
  if (units === 1 && tens !== 11) return one;
  if (units >= 2 && units <= 4 && (tens < 12 || tens > 14)) return few;
  return many;
}

const englishPlural = (n, one, many) => (n === 1 ? one : many);

export function formatNumber(language, value, digits = 1) {
  return value.toLocaleString(LOCALES[language], { maximumFractionDigits: digits });
}

export function formatMoney(language, value, currency) {
  return value.toLocaleString(LOCALES[language], { style: "currency", currency, maximumFractionDigits: 0 });
}

export const TEXTS = {
  ru: {
    title: "Конфигуратор резиновой плитки",
    subtitle: "Выберите до 4 цветов крошки EPDM и их доли — картинка меняется, пока вы двигаете ползунок.",
    colors: "Добавить цвет",
    chosen: (n, max) => `выбрано ${n} из ${max}`,
    max_reached: (max) => `Не больше ${max} цветов: уберите один, чтобы добавить другой.`,
    min_one: "В смеси должен остаться хотя бы один цвет.",
    shares: "Доли цветов, %",
    sum: "сумма",
    remove: (name) => `Убрать цвет «${name}»`,
    share_of: (name) => `Доля цвета «${name}», %`,
    typed_mix: "Или напишите смесь словами",
    typed_placeholder: "например: 50% красный, 30% чёрный, 20% жемчужный",
    fix_with: "Исправить на:",
    example: "Пример: 50% красный, 30% чёрный, 20% жемчужный; «пополам красный и чёрный»; «70 на 30 чёрный и белый».",
    typed_became: (total, mix) => `Доли в сумме дали ${total}%, поэтому приведены к 100%: ${mix}.`,
    groups: {
      neutral: "Белые, серые, чёрные",
      earth: "Бежевые и коричневые",
      warm: "Красные, розовые, оранжевые",
      yellow: "Жёлтые",
      green: "Зелёные",
      blue: "Синие и голубые",
      violet: "Фиолетовые",
    },
    grade: "Фракция",
    grade_fine: "мелкая (1–3 мм)",
    grade_standard: "стандартная (2–4 мм)",
    grade_coarse: "крупная (3–5 мм)",
    grade_short: { fine: "мелкая", standard: "стандартная", coarse: "крупная" },
    framing: "Кадр",
    framing_full_frame: "крупный план",
    framing_product_photo: "плитка целиком",
    framing_installed: "В виде уложенного покрытия кадр не меняется: он всегда показывает пол целиком.",
    view: "Вид",
    view_top: "сверху",
    view_installed: "уложенное покрытие",
    seed: "Раскладка гранул (номер)",
    new_seed: "Другая раскладка",
    preview_loading: "Загружаем раскладку…",
    preview_ready: "Точные доли, картинка меняется сразу.",
    preview_server: "Вид уложенного покрытия рисует сервер: картинка обновится, когда вы отпустите ползунок.",
    preview_failed: "Не удалось загрузить картинку. Проверьте связь и обновите страницу.",
    alt: (mix, grade, installed) => `плитка: ${mix}, фракция ${grade}${installed ? ", уложенное покрытие" : ""}`,
    download_png: "Скачать PNG",
    download_pdf: "PDF для заказа",
    share: "Ссылка на эту плитку и расчёт",
    copy: "Копировать",
    copied: "Ссылка скопирована.",
    photoreal_heading: "Фотореалистичное изображение",
    photoreal_intro: "Нейросеть рисует плитку с этой смесью как на фото (около минуты).",
    photoreal: "Заказать изображение",
    render_queued: (position) => (position ? `Заказ в очереди: место ${position}. Не закрывайте страницу: картинка появится здесь.` : "Заказ в очереди…"),
    render_starting: "Заказ принят, сервер готовится…",
    render_processing: (done, total) => (total ? `Рисуем: шаг ${done} из ${total}` : "Рисуем…"),
    render_succeeded: "Готово.",
    render_failed: "Не получилось.",
    render_canceled: "Заказ отменён.",
    render_download: "Скачать изображение",
    render_caption: (mix, grade, seed) => `${mix}; фракция ${grade}; раскладка ${seed}`,
    render_stale: "Смесь или настройки изменились после этого изображения — закажите новое, чтобы увидеть текущие.",
    render_backend_preview: "Сейчас сервер рисует только предпросмотр: фотореалистичного изображения не будет, заказ вернёт ту же картинку, что выше.",
    render_advice: {
      mix: "Исправьте смесь и закажите снова.",
      busy: "Сервер занят. Закажите снова через минуту.",
      unreachable: "Сервер изображений сейчас недоступен. Попробуйте позже или напишите нам.",
      timed_out: "Сервер не ответил вовремя. Закажите снова.",
      generic: "Закажите снова через минуту; если не выйдет, напишите нам.",
    },
    render_error_generic: "Сервер изображений не смог нарисовать плитку.",
    estimate: "Расчёт материала",
    area: "Площадь, м²",
    thickness: "Толщина, мм",
    constants: "Свои нормы расхода",
    crumb_rate: "Крошка, кг/м² на 10 мм",
    binder_percent: "Связующее, % от массы крошки",
    color: "Цвет",
    kg: "кг",
    bags: "мешки",
    cost: "сумма",
    order_heading: (thickness) => `Что заказать для толщины ${thickness} мм`,
    bags_of: (kg) => `мешки по ${kg} кг`,
    binder_line: (kg, order) => `Связующее: ${kg} кг — ${order}.`,
    barrels: (n, kg) => `${n} ${russianPlural(n, "бочка", "бочки", "бочек")} по ${kg} кг`,
    buckets: (n, kg) => `${n} ${russianPlural(n, "ведро", "ведра", "вёдер")} по ${kg} кг`,
    and: " и ",
    tiles_line: (n) => `Плитка 500 × 500 мм: ${n} шт.`,
    crumb_total: "Крошка всего",
    total_line: (money) => `Итого по ценам производителя: ${money}.`,
    total_missing: (names) => `Итог не посчитан: нет цены для: ${names}.`,
    binder: "связующее",
    by_thickness: "Другие толщины на эту площадь, кг",
    thickness_col: "Толщина",
    millimetres: (value) => `${value} мм`,
    crumb_kg: "Крошка",
    binder_kg: "Связующее",
    total_kg: "Всего",
    formula: (rate, percent, bag, bucket, barrel, tiles) =>
      `Расчёт: ${rate} кг/м² крошки на каждые 10 мм толщины, связующее ${percent}% от массы крошки. ` +
      `Крошка в мешках по ${bag} кг; связующее бочками по ${barrel} кг, остаток вёдрами по ${bucket} кг ` +
      `(если на остаток ушло бы больше бочки, берём ещё бочку). Плиток 500 × 500 мм: ${tiles} на м². ` +
      "Норма производителя: EPDM 8 кг/м², SBR 7 кг/м² на 10 мм.",
    estimate_unavailable: "Расчёт сейчас недоступен: проверьте связь.",
    offline: "Нет связи с сервером: проверьте интернет и попробуйте ещё раз.",
    language: "Язык",
  },
  en: {
    title: "Rubber tile configurator",
    subtitle: "Pick up to 4 EPDM crumb colours and their shares; the picture changes while you drag.",
    colors: "Add a colour",
    chosen: (n, max) => `${n} of ${max} chosen`,
    max_reached: (max) => `At most ${max} colours: remove one to add another.`,
    min_one: "A mix keeps at least one colour.",
    shares: "Colour shares, %",
    sum: "sum",
    remove: (name) => `Remove ${name}`,
    share_of: (name) => `Share of ${name}, %`,
    typed_mix: "Or type the mix in words",
    typed_placeholder: "e.g. 50% red, 30% black, 20% pearl",
    fix_with: "Fix it:",
    example: "Example: 50% red, 30% black, 20% pearl; “half red half black”; “70/30 black and white”.",
    typed_became: (total, mix) => `The shares added up to ${total}%, so they were scaled to 100%: ${mix}.`,
    groups: {
      neutral: "Whites, greys, black",
      earth: "Beiges and browns",
      warm: "Reds, pinks, oranges",
      yellow: "Yellows",
      green: "Greens",
      blue: "Blues",
      violet: "Violets",
    },
    grade: "Grade",
    grade_fine: "fine (1–3 mm)",
    grade_standard: "standard (2–4 mm)",
    grade_coarse: "coarse (3–5 mm)",
    grade_short: { fine: "fine", standard: "standard", coarse: "coarse" },
    framing: "Framing",
    framing_full_frame: "close-up",
    framing_product_photo: "whole tile",
    framing_installed: "The installed view does not use the framing: it always shows the whole floor.",
    view: "View",
    view_top: "from above",
    view_installed: "installed surface",
    seed: "Granule layout (number)",
    new_seed: "Another layout",
    preview_loading: "Loading the layout…",
    preview_ready: "Exact shares; the picture changes as you go.",
    preview_server: "The server draws the installed view: the picture follows when you let go of the slider.",
    preview_failed: "The picture could not be loaded. Check the connection and reload the page.",
    alt: (mix, grade, installed) => `tile: ${mix}, ${grade} grade${installed ? ", installed surface" : ""}`,
    download_png: "Download PNG",
    download_pdf: "PDF for your order",
    share: "Link to this tile and estimate",
    copy: "Copy",
    copied: "Link copied.",
    photoreal_heading: "Photoreal picture",
    photoreal_intro: "The model draws a tile with this mix as in a photo (about a minute).",
    photoreal: "Order the picture",
    render_queued: (position) => (position ? `Your order is in the queue: place ${position}. Keep the page open: the picture will appear here.` : "Your order is in the queue…"),
    render_starting: "Order taken, the server is getting ready…",
    render_processing: (done, total) => (total ? `Drawing: step ${done} of ${total}` : "Drawing…"),
    render_succeeded: "Done.",
    render_failed: "It did not work.",
    render_canceled: "The order was canceled.",
    render_download: "Download the picture",
    render_caption: (mix, grade, seed) => `${mix}; ${grade} grade; layout ${seed}`,
    render_stale: "The mix or settings changed after this picture: order a new one to see them.",
    render_backend_preview: "The server only draws previews now: there is no photoreal picture, an order returns the same picture as above.",
    render_advice: {
      mix: "Fix the mix and order again.",
      busy: "The server is busy. Order again in a minute.",
      unreachable: "The picture server is not available now. Try later or write to us.",
      timed_out: "The server did not answer in time. Order again.",
      generic: "Order again in a minute; if it fails again, write to us.",
    },
    render_error_generic: "The picture server could not draw the tile.",
    estimate: "Material estimate",
    area: "Area, m²",
    thickness: "Thickness, mm",
    constants: "Your own rates",
    crumb_rate: "Crumb, kg/m² per 10 mm",
    binder_percent: "Binder, % of the crumb mass",
    color: "Colour",
    kg: "kg",
    bags: "bags",
    cost: "cost",
    order_heading: (thickness) => `What to order for ${thickness} mm`,
    bags_of: (kg) => `bags of ${kg} kg`,
    binder_line: (kg, order) => `Binder: ${kg} kg — ${order}.`,
    barrels: (n, kg) => `${n} ${englishPlural(n, "barrel", "barrels")} of ${kg} kg`,
    buckets: (n, kg) => `${n} ${englishPlural(n, "bucket", "buckets")} of ${kg} kg`,
    and: " and ",
    tiles_line: (n) => `Tiles 500 × 500 mm: ${n}.`,
    crumb_total: "Crumb in all",
    total_line: (money) => `Total at the maker's prices: ${money}.`,
    total_missing: (names) => `No total: no price for ${names}.`,
    binder: "binder",
    by_thickness: "Other thicknesses for this area, kg",
    thickness_col: "Thickness",
    millimetres: (value) => `${value} mm`,
    crumb_kg: "Crumb",
    binder_kg: "Binder",
    total_kg: "In all",
    formula: (rate, percent, bag, bucket, barrel, tiles) =>
      `Estimate: ${rate} kg/m² of crumb per 10 mm of thickness, binder ${percent}% of the crumb mass. ` +
      `Crumb in bags of ${bag} kg; binder in barrels of ${barrel} kg and the rest in buckets of ${bucket} kg ` +
      `(another barrel when the rest would take more than one). Tiles 500 × 500 mm: ${tiles} per m². ` +
      "The maker's rates: EPDM 8 kg/m², SBR 7 kg/m² per 10 mm.",
    estimate_unavailable: "The estimate is not available now: check the connection.",
    offline: "No connection to the server: check the internet and try again.",
    language: "Language",
  },
};

export function text(language, key, ...args) {
  const value = (TEXTS[language] || TEXTS.ru)[key];
  if (value === undefined) throw new Error(`no text ${key}`);
  return typeof value === "function" ? value(...args) : value;
}

// Every element with data-i18n="key" gets its text; data-i18n-placeholder sets the placeholder; and the tab title.
export function translatePage(language) {
  document.documentElement.lang = language;
  document.title = text(language, "title");
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = text(language, element.dataset.i18n);
  }
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = text(language, element.dataset.i18nPlaceholder);
  }
}
