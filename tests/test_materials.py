"""The material estimate: the owner's calculator's formula (crumb per m2 per 10 mm, binder as a share of the crumb)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rubber_tile.errors import InputError
from rubber_tile.materials import MaterialConstants, estimate_materials
from rubber_tile.mix import parse_mix

# The owner's calculator (NauSlava/fe, calc.tmpl.php, EPDM branch): massa = 8 * area * thickness / 10; glue = massa * 0.18.
OWNER_EPDM_KG_PER_M2 = 8.0
OWNER_BINDER_SHARE = 0.18


def owner_calculator(area_m2: float, thickness_mm: float) -> tuple[float, float]:
    crumb = OWNER_EPDM_KG_PER_M2 * area_m2 * thickness_mm / 10
    return crumb, crumb * OWNER_BINDER_SHARE


def test_the_defaults_are_the_owners_constants() -> None:
    constants = MaterialConstants()
    assert constants.crumb_kg_per_m2 == OWNER_EPDM_KG_PER_M2
    assert constants.binder_percent / 100 == pytest.approx(OWNER_BINDER_SHARE)
    assert (constants.binder_bucket_kg, constants.binder_barrel_kg) == (20.0, 215.0)


@pytest.mark.parametrize(("area", "thickness"), [(1.0, 10.0), (12.5, 20.0), (250.0, 40.0), (0.25, 5.0)])
def test_crumb_and_binder_follow_the_owners_calculator(area: float, thickness: float) -> None:
    mix = parse_mix("50% red, 30% black, 20% pearl")
    result = estimate_materials(mix.normalized, area, thickness)
    crumb, binder = owner_calculator(area, thickness)
    assert result.crumb_kg == pytest.approx(crumb)
    assert result.binder_kg == pytest.approx(binder)
    assert result.total_kg == pytest.approx(crumb + binder)
    assert result.binder_buckets == math.ceil(binder / 20 - 1e-9)


def test_each_colour_gets_its_share_of_the_crumb_in_the_mix_order() -> None:
    mix = parse_mix("20% pearl, 50% red, 30% black")
    result = estimate_materials(mix.normalized, 10.0, 10.0)
    assert list(result.color_kg) == ["pearl", "red", "black"]
    assert result.color_kg["red"] == pytest.approx(0.5 * result.crumb_kg)
    assert result.color_kg["pearl"] == pytest.approx(0.2 * result.crumb_kg)


def test_a_mix_that_was_scaled_to_100_splits_the_whole_crumb() -> None:
    mix = parse_mix("33% red, 33% white, 33% black")  # 99, scaled to 100
    result = estimate_materials(mix.normalized, 3.0, 10.0)
    assert sum(result.color_kg.values()) == pytest.approx(result.crumb_kg)
    assert len({round(kg, 9) for kg in result.color_kg.values()}) == 1


def test_own_constants_replace_the_defaults() -> None:
    sbr = MaterialConstants(crumb_kg_per_m2=7.0, binder_percent=20.0)
    result = estimate_materials({"black": 100.0}, 10.0, 10.0, sbr)
    assert result.crumb_kg == pytest.approx(70.0)
    assert result.binder_kg == pytest.approx(14.0)


@given(area=st.floats(0.01, 10_000), thickness=st.floats(5, 100), red=st.integers(1, 99))
def test_the_estimate_scales_linearly_and_its_parts_add_up(area: float, thickness: float, red: int) -> None:
    shares = {"red": float(red), "white": float(100 - red)}
    result = estimate_materials(shares, area, thickness)
    double = estimate_materials(shares, area * 2, thickness)
    assert double.crumb_kg == pytest.approx(2 * result.crumb_kg)
    assert sum(result.color_kg.values()) == pytest.approx(result.crumb_kg)
    assert result.binder_buckets * 20 >= result.binder_kg - 1e-6


@pytest.mark.parametrize(
    ("area", "thickness", "named"),
    [(0.0, 10.0, "area_m2"), (-1.0, 10.0, "area_m2"), (math.nan, 10.0, "area_m2"), (1e9, 10.0, "area_m2"),
     (10.0, 4.0, "thickness_mm"), (10.0, 150.0, "thickness_mm"), (10.0, True, "thickness_mm")],
)
def test_bad_areas_and_thicknesses_are_refused_naming_the_input(area: float, thickness: float, named: str) -> None:
    with pytest.raises(InputError, match=named):
        estimate_materials({"red": 100.0}, area, thickness)


def test_shares_that_do_not_sum_to_100_are_refused() -> None:
    with pytest.raises(InputError, match="sum to 100"):
        estimate_materials({"red": 60.0, "white": 30.0}, 10.0, 10.0)


@pytest.mark.parametrize("field", ["crumb_kg_per_m2", "binder_percent", "binder_bucket_kg"])
def test_impossible_constants_are_refused(field: str) -> None:
    with pytest.raises(InputError, match=field):
        MaterialConstants(**{field: -1.0})
