"""What the customer reads when an order cannot be taken or fails: one sentence per code, in Russian and
English, saying what happened and what to do. The render server's own words, if any, go in `detail`."""

from __future__ import annotations

from typing import Any

__all__ = ["MESSAGES", "customer_error", "message"]

MESSAGES: dict[str, dict[str, str]] = {
    "queue_full": {
        "ru": "Очередь на фотореалистичные картинки сейчас полна. Попробуйте через несколько минут.",
        "en": "The queue for photoreal pictures is full right now. Please try again in a few minutes.",
    },
    "too_many_orders": {
        "ru": "У вас уже {open} незавершённых заказа. Дождитесь их, затем закажите ещё.",
        "en": "You already have {open} orders in progress. Wait for them, then order more.",
    },
    "rate_limited": {
        "ru": "Слишком много запросов подряд. Подождите {retry_after} с и попробуйте снова.",
        "en": "Too many requests in a row. Wait {retry_after} s and try again.",
    },
    "daily_cap": {
        "ru": "Лимит фотореалистичных картинок на сегодня исчерпан. Попробуйте завтра.",
        "en": "Today's limit of photoreal pictures is used up. Please try again tomorrow.",
    },
    "preview_size_needs_key": {
        "ru": "Превью больше {size} px доступно только с ключом. Уберите size или укажите не больше {size}.",
        "en": "Previews larger than {size} px need a key. Leave size out or ask for at most {size}.",
    },
    "render_server_down": {
        "ru": "Сервер отрисовки не отвечает. Закажите картинку ещё раз чуть позже.",
        "en": "The render server does not answer. Please order the picture again a little later.",
    },
    "render_server_restarted": {
        "ru": "Сервер отрисовки перезапустился во время вашей картинки. Закажите её ещё раз.",
        "en": "The render server restarted while drawing your picture. Please order it again.",
    },
    "render_lost": {
        "ru": "Сервер отрисовки потерял вашу картинку. Закажите её ещё раз.",
        "en": "The render server lost your picture. Please order it again.",
    },
    "render_server_broken": {
        "ru": "Сервер отрисовки неисправен и не берёт новые картинки. Мы уже знаем; попробуйте позже.",
        "en": "The render server is broken and takes no new pictures. We know; please try later.",
    },
    "render_server_setup_failed": {
        "ru": "Сервер отрисовки не смог запуститься. Попробуйте позже.",
        "en": "The render server could not start. Please try later.",
    },
    "render_server_unreadable": {
        "ru": "Сервер отрисовки ответил непонятно. Закажите картинку ещё раз.",
        "en": "The render server gave an answer that cannot be read. Please order the picture again.",
    },
    "timed_out": {
        "ru": "Картинка не готова за {seconds} с. Закажите её ещё раз.",
        "en": "The picture was not ready within {seconds} s. Please order it again.",
    },
    "prediction_failed": {
        "ru": "Не удалось нарисовать картинку. Попробуйте ещё раз или измените смесь.",
        "en": "The picture could not be drawn. Try again or change the mix.",
    },
    "render_refused": {
        "ru": "Сервер отрисовки отклонил заказ. Измените параметры и закажите снова.",
        "en": "The render server refused the order. Change the settings and order again.",
    },
    "replicate_error": {
        "ru": "Сервис отрисовки Replicate не принял заказ. Попробуйте позже.",
        "en": "The Replicate render service did not take the order. Please try later.",
    },
    "internal": {
        "ru": "Внутренняя ошибка сервера. Закажите картинку ещё раз.",
        "en": "An internal server error. Please order the picture again.",
    },
    "canceled": {
        "ru": "Заказ отменён.",
        "en": "The order was canceled.",
    },
}


def message(code: str, language: str, **values: Any) -> str:
    texts = MESSAGES[code]
    return texts.get(language, texts["en"]).format(**values)


def customer_error(code: str, language: str, detail: str = "", **values: Any) -> dict[str, Any]:
    """An order's `error` per contract B: {code, message} in the order's language, plus the server's detail."""
    error: dict[str, Any] = {"code": code, "message": message(code, language, **values)}
    if detail:
        error["detail"] = detail[:500]
    return error
