"""The markdown of docs/color_accuracy.md, from color_accuracy.py's and held_out.py's results."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rubber_tile.colors.distance import pairwise_delta_e
from rubber_tile.colors.palette import Palette

from .color_accuracy import EntryResult, OpenModeCounts, open_mode_counts, ratio
from .held_out import CONFUSION_SHARE, HeldOutResult
from .reports import format_shares
from .scoring import MISLABEL_MARGIN_PP, MixScore, per_color_mean_abs

# Palette colours whose typical colours are closer than this (CIELAB delta E 1976) are listed as near pairs.
NEAR_PAIR_DELTA_E = 15.0
# An image whose mean error per colour is above this (pp) is counted apart in the summary.
BAD_IMAGE_MEAN_PP = 6
RIGHT_LABEL_FRACTION = 0.95
# An asked colour of at least ASKED_PERCENT measured below ABSENT_PERCENT is practically absent.
ASKED_PERCENT, ABSENT_PERCENT = 10.0, 2.0


@dataclass(frozen=True)
class Groups:
    """The results the report's sections read."""

    multi: list[EntryResult]  # scored multi-colour photos
    single: list[EntryResult]  # scored single-colour photos
    outputs: list[EntryResult]  # model outputs, scored or not
    flagged: list[EntryResult]  # multi-colour photos probably mislabelled

    @property
    def scored_outputs(self) -> list[EntryResult]:
        return [r for r in self.outputs if r.given is not None]

    @property
    def clean(self) -> list[EntryResult]:
        return [r for r in self.multi if not r.given.probably_mislabelled]


def group_results(results: Sequence[EntryResult]) -> Groups:
    photos = [r for r in results if r.entry.kind == "photo" and r.given is not None]
    multi = [r for r in photos if len(r.asked or {}) > 1]
    return Groups(
        multi=multi,
        single=[r for r in photos if len(r.asked or {}) == 1],
        outputs=[r for r in results if r.entry.kind != "photo"],
        flagged=[r for r in multi if r.given.probably_mislabelled],
    )


def format_errors(score: MixScore) -> str:
    return ", ".join(f"{name} {error:+.1f}" for name, error in score.errors.items())


def by_count(counts: Counter[str]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in sorted(counts.items(), key=lambda i: -i[1])) or "none"


def summary_row(label: str, rows: list[EntryResult]) -> str:
    if not rows:
        return f"| {label} | 0 | - | - | - | - |"
    worst = max(rows, key=lambda r: r.given.mean_abs)
    return (
        f"| {label} | {len(rows)} | {per_color_mean_abs([r.given for r in rows]):.2f} | {worst.given.mean_abs:.2f} "
        f"({worst.entry.name}) | {sum(r.given.mean_abs > BAD_IMAGE_MEAN_PP for r in rows)} | "
        f"{per_color_mean_abs([r.baseline for r in rows]):.2f} |"
    )


def held_out_count(held_out: HeldOutResult | None) -> str:
    if held_out is None:
        return "not measured"
    fractions = held_out.right_fraction.values()
    return f"{sum(f >= RIGHT_LABEL_FRACTION for f in fractions)} of {len(held_out.right_fraction)}"


def summary_section(groups: Groups, results: Sequence[EntryResult], held_out: HeldOutResult | None) -> list[str]:
    counts = open_mode_counts(groups.multi)
    right = [r for r in groups.single if r.right_fraction is not None and r.right_fraction >= RIGHT_LABEL_FRACTION]
    scored = groups.scored_outputs
    return [
        "## Summary",
        "",
        "Multi-colour photos, colours given (truth = the maker's mix, as the manifest gives it):",
        "",
        "| images | n | mean abs error per colour (pp) | worst image mean (pp) | images with mean > 6 pp | nearest-colour baseline, central crop (pp) |",
        "|---|---|---|---|---|---|",
        summary_row("all, as labelled", groups.multi),
        summary_row(
            f"not flagged as mislabelled (flag: labelled error > best reassignment + {MISLABEL_MARGIN_PP:g} pp)",
            groups.clean,
        ),
        summary_row("flagged as probably mislabelled", groups.flagged),
        "",
        f"Open mode on the same photos (no colour list): precision {counts.precision:.2f}, recall {counts.recall:.2f} "
        f"({counts.right} right, {counts.extra} extra, {counts.missed} missed colour reports).",
        f"Extra colours reported: {by_count(counts.extra_by_color)}. Colours missed: {by_count(counts.missed_by_color)}.",
        "",
        f"Single-colour photos, open mode: {len(right)} of {len(groups.single)} colours have >= 95% of the granule pixels "
        "labelled with the right colour in-sample (palette measured on these photos); held out (palette from the left "
        f"halves, right halves measured): {held_out_count(held_out)}.",
        "",
        f"Model outputs (complete labels that name known colours): {len(scored)} scored, "
        f"mean abs error per colour {per_color_mean_abs([r.given for r in scored]):.1f} pp; "
        f"{len(groups.outputs) - len(scored)} not scored (label cut short or not a known colour).",
        "",
        "Analyzer time per image in open mode on this machine: median "
        f"{statistics.median(r.seconds * 1000 for r in results):.0f} ms "
        "(photos 640 px, outputs 512 px); see scripts/bench/bench_analyzer.py for 1024 px.",
    ]


def photo_sections(groups: Groups, held_out: HeldOutResult | None) -> list[str]:
    lines = [
        "## Multi-colour photos, colours given",
        "",
        "| photo | mix | measured | error pp | mean abs pp | baseline mean pp | flag |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in groups.multi:
        flag = "probably mislabelled" if r.given.probably_mislabelled else ""
        lines.append(
            f"| {r.entry.name} | {format_shares(r.asked)} | {format_shares(r.given.measured)} | "
            f"{format_errors(r.given)} | {r.given.mean_abs:.1f} | {r.baseline.mean_abs:.1f} | {flag} |"
        )
    lines += ["", "## Open mode on the multi-colour photos", "", "| photo | mix | found (open mode) |", "|---|---|---|"]
    lines += [f"| {r.entry.name} | {format_shares(r.asked)} | {format_shares(r.open_shares)} |" for r in groups.multi]
    lines += [
        "",
        "## Single-colour photos, open mode",
        "",
        "In-sample: the palette was measured on these very photos. Held out: every photo cut in two, the palette "
        "fitted on the left halves and the right halves measured with it.",
        "",
        "| photo | colour | pixels labelled right (in-sample) | found (in-sample) | pixels labelled right (held out) | found (held out) |",
        "|---|---|---|---|---|---|",
    ]
    for r in groups.single:
        (name,) = r.asked
        held = "-" if held_out is None else f"{100 * held_out.right_fraction[name]:.1f}%"
        held_found = "-" if held_out is None else format_shares(held_out.open_shares[name])
        lines.append(
            f"| {r.entry.name} | {name} | {100 * r.right_fraction:.1f}% | {format_shares(r.open_shares)} | "
            f"{held} | {held_found} |"
        )
    return lines


def pairs_section(held_out: HeldOutResult | None) -> list[str]:
    lines = [
        "## Confusable pairs",
        "",
        "Held out as above: the right half of each single-colour photo measured as a two-colour mix of its own colour "
        f"and each other palette colour, listed where the other colour takes >= {CONFUSION_SHARE:g}% "
        "(asked for a mix of the two, the analyzer would misread a tile of the first colour by that much).",
        "",
        "| photo colour | other colour | share given to the other |",
        "|---|---|---|",
    ]
    if held_out is None:
        return [*lines, "| not measured: the manifest lacks some single-colour photo | | |"]
    return lines + ([f"| {a} | {b} | {share:.0f}% |" for a, b, share in held_out.pairs] or ["| none | | |"])


def outputs_section(outputs: list[EntryResult]) -> list[str]:
    lines = [
        "## Model outputs: how far the deployed SDXL model is from the asked mix",
        "",
        "| output | asked | measured (colours given) | error pp | mean abs pp | found (open mode) |",
        "|---|---|---|---|---|---|",
    ]
    for r in outputs:
        if r.given is None:
            lines.append(
                f"| {r.entry.name} | {r.entry.mix_text} | not scored: {r.problem} | | | {format_shares(r.open_shares)} |"
            )
        else:
            lines.append(
                f"| {r.entry.name} | {format_shares(r.asked)} | {format_shares(r.given.measured)} | "
                f"{format_errors(r.given)} | {r.given.mean_abs:.1f} | {format_shares(r.open_shares)} |"
            )
    return lines


def near_pairs_section(palette: Palette) -> list[str]:
    distance = pairwise_delta_e(palette.lab_array())
    names = palette.names
    pairs = sorted(
        (distance[i, j], names[i], names[j])
        for i in range(len(names))
        for j in range(i + 1, len(names))
        if distance[i, j] < NEAR_PAIR_DELTA_E
    )
    return [
        "## Near colours in the palette",
        "",
        f"Palette colours whose typical colours lie closer than delta E {NEAR_PAIR_DELTA_E:g} (CIELAB 1976). Their "
        "granules overlap in colour (shading spreads each colour over 10-20 units of lightness), so a mix of two of "
        "them is measured statistically rather than granule by granule, and a change of lighting between photos "
        "moves shares between them:",
        "",
        "| colour | colour | delta E |",
        "|---|---|---|",
        *[f"| {a} | {b} | {d:.1f} |" for d, a, b in pairs],
    ]


def findings_section(groups: Groups) -> list[str]:
    counts: OpenModeCounts = open_mode_counts(groups.multi)
    extra, missed = counts.extra_by_color, counts.missed_by_color
    relabelled = min(extra.get("green apple", 0), missed.get("dark green", 0))
    outputs = groups.scored_outputs
    asked = [(name, percent, r.given.measured.get(name, 0.0)) for r in outputs for name, percent in r.asked.items()]
    dropped = [item for item in asked if item[1] >= ASKED_PERCENT and item[2] < ABSENT_PERCENT]
    multi_color_outputs = [r for r in outputs if len(r.asked) > 1]
    return [
        "## What the numbers say",
        "",
        f"- Mix by mass versus area. The truth for the photos is the maker's mix by mass. On the {len(groups.clean)} "
        f"photos not flagged the analyzer is within {per_color_mean_abs([r.given for r in groups.clean]):.1f} pp "
        "per colour on average. In the black/white series black reads about 2-3 pp above its share in the mix between "
        "15% and 75% black: white granules that are denser than black ones (more filler) would do that, and so would "
        "shaded white facets read as black; these photos cannot tell the two apart.",
        f"- Mislabelled photos. {len(groups.flagged)} photos of the blue / dark green / red series read as their mix with "
        "two colours' percentages exchanged (flag column). Looking at them confirms it where the swap is large: "
        "BLUEp10_DKGREENp80_REDp10_top.jpg is visibly mostly blue and BLUEp60_DKGREENp10_REDp30_top.jpg mostly green. "
        "These are data errors, not analyzer errors, and they also sit in the model's training set.",
        "- 'Dark green' in the mix photos is another green. In every blue / dark green / red (/ yellow) photo the granules "
        "named DKGREEN are a bright green (about L 73, a -50, b 32) that matches the GRNAPL (green apple) photo, not the "
        "DKGREEN photo (L 54, a -26, b 7). Given the colour list the analyzer still counts them as dark green (the nearest "
        "listed colour, allowed to shift); open mode calls them green apple: "
        f"{extra.get('green apple', 0)} of the extra reports are green apple and {missed.get('dark green', 0)} of the "
        f"missed ones dark green. Counting those as right, open mode's precision would be "
        f"{ratio(counts.right + relabelled, counts.right + counts.extra):.2f} and its recall "
        f"{ratio(counts.right + relabelled, counts.right + counts.missed):.2f}.",
        "- The mix photos are rendered differently from the single-colour photos: brighter (red, yellow and blue about "
        "+7 to +10 L) and their blue sits between the blue and sky blue photos (closer to sky blue in CIELAB). Open mode "
        "therefore often names it sky blue. Colours given, the per-image colour shift absorbs this. Near pairs "
        "(listed above) move the same way: white in the black/white series sometimes reads as pearl.",
        f"- The deployed model. Over {len(outputs)} scored outputs ({len(multi_color_outputs)} with two or more colours) "
        f"the mean error per colour is {per_color_mean_abs([r.given for r in outputs]):.1f} pp "
        f"(single-colour asks score 0 by construction; {per_color_mean_abs([r.given for r in multi_color_outputs]):.1f} pp "
        f"over the multi-colour asks). {len(dropped)} of the {sum(1 for a in asked if a[1] >= ASKED_PERCENT)} colours "
        f"asked for at {ASKED_PERCENT:g}% or more are practically absent (< {ABSENT_PERCENT:g}%), and some outputs are "
        "not granule textures at all (paving slabs, smooth surfaces). This is the baseline a colour lock has to beat.",
    ]


def render_report(
    results: Sequence[EntryResult], held_out: HeldOutResult | None, palette: Palette, command: str
) -> str:
    """The whole report; `command` is how it was generated, named at its top."""
    groups = group_results(results)
    sections = [
        summary_section(groups, results, held_out),
        photo_sections(groups, held_out),
        pairs_section(held_out),
        outputs_section(groups.outputs),
        near_pairs_section(palette),
        findings_section(groups),
    ]
    lines = [
        "# Colour accuracy of the analyzer",
        "",
        f"Generated by `{command}` (scripts/eval/evaluate_colors.py); re-run it to refresh. "
        "Percentages are shares of the tile's granule area; errors are measured minus asked, in percentage points (pp).",
    ]
    for section in sections:
        lines += ["", *section]
    return "\n".join(lines) + "\n"
