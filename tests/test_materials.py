"""The material estimate: the owner's calculator's formula (crumb per m2 per 10 mm, binder as a share of the crumb)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rubber_tile.errors import InputError
from rubber_tile.materials import BinderOrder, MaterialConstants, MaterialError, estimate_materials, read_number
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


def test_each_color_gets_its_share_of_the_crumb_in_the_mix_order() -> None:
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


# --- what a buyer orders: typed numbers, bags, containers, tiles -----------------------------------------


@pytest.mark.parametrize(("typed", "number"), [("12,5", 12.5), ("12.5", 12.5), (" 1 000 ", 1000.0), ("0,125", 0.125),
                                               ("2\u00a0500,5", 2500.5), (7, 7.0), (".5", 0.5)])
def test_numbers_read_as_customers_type_them(typed: object, number: float) -> None:
    assert read_number(typed, "area_m2") == number


@pytest.mark.parametrize("typed", ["abc", "", "1e3", "1,2,3", "12,5.3", "nan", "inf", "--1"])
def test_what_is_not_a_number_is_refused_in_both_languages(typed: str) -> None:
    with pytest.raises(MaterialError) as caught:
        read_number(typed, "area_m2")
    assert caught.value.field == "area_m2" and "area_m2" in str(caught.value)
    assert caught.value.text("ru").startswith("Площадь") and "area" not in caught.value.text("ru")


def test_a_comma_before_three_digits_is_never_guessed() -> None:
    with pytest.raises(MaterialError) as caught:
        read_number("2,500", "area_m2")  # 2.5 m2 in Russian, 2500 m2 in English
    assert "2.5 or 2500" in str(caught.value) and "2,5" in caught.value.text("ru")


def test_the_decimal_comma_area_is_the_area_not_ten_times_it() -> None:
    result = estimate_materials({"red": 100.0}, "12,5", "10")
    assert result.area_m2 == 12.5 and result.crumb_kg == pytest.approx(100.0)


def test_out_of_range_refusals_say_the_range_in_russian() -> None:
    with pytest.raises(MaterialError) as caught:
        estimate_materials({"red": 100.0}, "1000000", 10)
    assert caught.value.text("ru") == "Площадь должна быть больше 0 и не больше 100\u00a0000 м², указано 1\u00a0000\u00a0000"
    with pytest.raises(MaterialError) as caught:
        estimate_materials({"red": 100.0}, 10, "3")
    assert caught.value.text("ru").startswith("Толщина должна быть не меньше 5 и не больше 100 мм")


@pytest.mark.parametrize(
    ("need", "barrels", "buckets"),
    [(14.4, 0, 1), (180.0, 0, 9), (200.0, 0, 10), (200.1, 1, 0), (215.0, 1, 0), (216.0, 1, 1), (430.0, 2, 0),
     (3600.0, 16, 8), (0.0, 0, 0)],
)
def test_binder_is_ordered_in_barrels_and_the_rest_in_buckets(need: float, barrels: int, buckets: int) -> None:
    order = BinderOrder.for_kg(need, MaterialConstants())
    assert (order.barrels, order.buckets) == (barrels, buckets)
    assert order.kg >= need - 1e-9 and order.kg - need < 215.0


def test_2500_m2_needs_16_barrels_and_8_buckets_not_180_buckets() -> None:
    result = estimate_materials({"red": 50.0, "black": 50.0}, 2500, 10)
    assert result.binder_kg == pytest.approx(3600.0)
    assert (result.binder_order.barrels, result.binder_order.buckets) == (16, 8)


def test_crumb_in_25_kg_bags_per_color_and_tiles_four_per_square_metre() -> None:
    result = estimate_materials({"red": 50.0, "black": 30.0, "pearl": 20.0}, 12.5, 20)  # 200 kg of crumb
    assert dict(result.color_bags) == {"red": 4, "black": 3, "pearl": 2}  # 100, 60, 40 kg
    assert result.tiles == 50
    assert estimate_materials({"red": 100.0}, 0.3, 10).tiles == 2  # part of a tile is a whole tile to buy
