// The page's texts, Russian first. Colour names come from /api/config (the project's vocabulary);
// mix errors come from the server, already in the page's language.

export const LANGUAGES = ["ru", "en"];

// 1 ведро, 2 ведра, 5 вёдер; 21 ведро, 12 вёдер.
function russianPlural(n, one, few, many) {
  const tens = n % 100;
  const units = n % 10;
  if (units === 1 && tens !== 11) return one;
  if (units >= 2 && units <= 4 && (tens < 12 || tens > 14)) return few;
  return many;
}

export const TEXTS = {
  ru: {
    title: "Конфигуратор резиновой плитки",
    subtitle: "Выберите до 4 цветов крошки EPDM и их доли — картинка обновится сразу.",
    colors: "Цвета",
    chosen: (n, max) => `Выбрано ${n} из ${max}`,
    max_reached: (max) => `Не больше ${max} цветов: уберите один, чтобы добавить другой.`,
    shares: "Доли, %",
    sum: "Сумма",
    remove: "Убрать",
    typed_mix: "Или введите смесь",
    typed_placeholder: "например: 50% красный, 30% чёрный, 20% жемчужный",
    did_you_mean: "Заменить на:",
    grade: "Фракция",
    grade_fine: "мелкая (1–3 мм)",
    grade_standard: "стандартная (2–4 мм)",
    grade_coarse: "крупная (3–5 мм)",
    framing: "Кадр",
    framing_full_frame: "крупный план",
    framing_product_photo: "плитка целиком",
    view: "Вид",
    view_top: "сверху",
    view_installed: "уложенное покрытие",
    seed: "Раскладка гранул (номер)",
    new_seed: "Другая раскладка",
    preview: "Предпросмотр",
    preview_loading: "Обновляем…",
    preview_ready: "Точные доли, мгновенно. Для фотореалистичного изображения нажмите кнопку ниже.",
    photoreal: "Фотореалистичное изображение",
    download_png: "Скачать PNG",
    share: "Ссылка на эту плитку",
    copy: "Копировать",
    copied: "Ссылка скопирована",
    render_queued: (place) => (place ? `В очереди: ${place}-й` : "В очереди…"),
    render_starting: "Отправлено, начинаем…",
    render_processing: (done, total) => (total ? `Рисуем: шаг ${done} из ${total}` : "Рисуем…"),
    render_succeeded: "Готово",
    render_failed: "Не получилось: ",
    render_canceled: "Отменено",
    render_download: "Скачать изображение",
    estimate: "Расчёт материала",
    area: "Площадь, м²",
    thickness: "Толщина, мм",
    constants: "Константы расчёта",
    crumb_rate: "Крошка, кг/м² на 10 мм",
    binder_percent: "Связующее, % от массы крошки",
    color: "Цвет",
    share_col: "Доля",
    kg: "кг",
    crumb_total: "Крошка всего",
    binder: "Связующее",
    total: "Итого",
    buckets: (n, kg) => `${n} ${russianPlural(n, "ведро", "ведра", "вёдер")} по ${kg} кг`,
    estimate_bad: "Укажите площадь больше 0 и толщину от 5 до 100 мм.",
    source: "Формула: калькулятор производителя (8 кг/м² EPDM на 10 мм, связующее 18%).",
    language: "Язык",
  },
  en: {
    title: "Rubber tile configurator",
    subtitle: "Pick up to 4 EPDM crumb colours and their shares; the picture follows at once.",
    colors: "Colours",
    chosen: (n, max) => `${n} of ${max} chosen`,
    max_reached: (max) => `At most ${max} colours: remove one to add another.`,
    shares: "Shares, %",
    sum: "Sum",
    remove: "Remove",
    typed_mix: "Or type a mix",
    typed_placeholder: "e.g. 50% red, 30% black, 20% pearl",
    did_you_mean: "Replace with:",
    grade: "Grade",
    grade_fine: "fine (1–3 mm)",
    grade_standard: "standard (2–4 mm)",
    grade_coarse: "coarse (3–5 mm)",
    framing: "Framing",
    framing_full_frame: "close-up",
    framing_product_photo: "whole tile",
    view: "View",
    view_top: "from above",
    view_installed: "installed surface",
    seed: "Granule layout (number)",
    new_seed: "Another layout",
    preview: "Preview",
    preview_loading: "Updating…",
    preview_ready: "Exact shares, instantly. For the photoreal picture press the button below.",
    photoreal: "Photoreal picture",
    download_png: "Download PNG",
    share: "Link to this tile",
    copy: "Copy",
    copied: "Link copied",
    render_queued: (place) => (place ? `In the queue: number ${place}` : "In the queue…"),
    render_starting: "Sent, starting…",
    render_processing: (done, total) => (total ? `Drawing: step ${done} of ${total}` : "Drawing…"),
    render_succeeded: "Done",
    render_failed: "It failed: ",
    render_canceled: "Canceled",
    render_download: "Download the picture",
    estimate: "Material estimate",
    area: "Area, m²",
    thickness: "Thickness, mm",
    constants: "Constants",
    crumb_rate: "Crumb, kg/m² per 10 mm",
    binder_percent: "Binder, % of the crumb mass",
    color: "Colour",
    share_col: "Share",
    kg: "kg",
    crumb_total: "Crumb in all",
    binder: "Binder",
    total: "Total",
    buckets: (n, kg) => `${n} bucket${n === 1 ? "" : "s"} of ${kg} kg`,
    estimate_bad: "Give an area above 0 and a thickness from 5 to 100 mm.",
    source: "Formula: the maker's calculator (8 kg/m² of EPDM per 10 mm, 18% binder).",
    language: "Language",
  },
};

export function text(language, key, ...args) {
  const value = (TEXTS[language] || TEXTS.ru)[key];
  if (value === undefined) throw new Error(`no text ${key}`);
  return typeof value === "function" ? value(...args) : value;
}

// Every element with data-i18n="key" gets its text; data-i18n-placeholder sets the placeholder.
export function translatePage(language) {
  document.documentElement.lang = language;
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = text(language, element.dataset.i18n);
  }
  for (const element of document.querySelectorAll("[data-i18n-placeholder]")) {
    element.placeholder = text(language, element.dataset.i18nPlaceholder);
  }
}
