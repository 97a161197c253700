"""Named courtyards for the visualiser's tests and its blind look: geometry, ground and light differ."""

from __future__ import annotations

import math

import numpy as np

from .courtyard import Box, Camera, GroundArea, Scene


def area_in_view(camera: Camera, width_m: float, depth_m: float, turn_deg: float = 0.0, centre: tuple[float, float] = (0.5, 0.7)) -> GroundArea:
    """A width x depth rectangle on the ground centred where the camera sees `centre` (shares of the
    picture), its width turned `turn_deg` from the camera's left-right; shrunk until its corners are
    in the picture with a margin."""
    ray = camera.rays(slice(int(centre[1] * camera.height), int(centre[1] * camera.height) + 1))[0, int(centre[0] * camera.width)]
    middle = camera.origin + ray * (-camera.origin[2] / ray[2])
    angle = -camera.yaw_deg + turn_deg
    along = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    across = np.array([-along[1], along[0]])
    for shrink in np.linspace(1.0, 0.3, 15):
        w, d = width_m * shrink, depth_m * shrink
        origin = middle[:2] - along * w / 2 - across * d / 2
        area = GroundArea((float(origin[0]), float(origin[1])), round(w, 2), round(d, 2), angle)
        points = [camera.project(c) for c in area.corners()]
        if all(0.03 * camera.width <= x <= 0.97 * camera.width and 0.03 * camera.height <= y <= 0.97 * camera.height for x, y in points):
            return area
    raise ValueError("no such area fits the picture")


def courtyard_for_tests(width: int = 480, height: int = 360, seed: int = 0, yaw_deg: float = 0.0) -> Scene:
    """Paving between a low brick wall on the left and a plastered wall behind, a bench standing in
    the area and a post beside it; the sun low on the left, so the wall's shadow covers the area's
    left part and the post's shadow crosses it."""
    return Scene(
        camera=Camera(width, height, pitch_deg=30.0, yaw_deg=yaw_deg),
        area=GroundArea(origin=(-1.3, 2.5), width_m=3.2, depth_m=2.6, angle_deg=0.0),
        ground="paving",
        boxes=(
            Box((-6.0, 7.0, 0.0), (6.0, 7.3, 3.0), "plaster"),
            Box((-2.8, 0.5, 0.0), (-2.5, 7.0, 1.4), "brick"),
            Box((-0.2, 4.3, 0.42), (1.3, 4.7, 0.47), "wood"),
            Box((-0.1, 4.4, 0.0), (0.0, 4.6, 0.42), "metal"),
            Box((1.1, 4.4, 0.0), (1.2, 4.6, 0.42), "metal"),
            Box((-2.1, 3.5, 0.0), (-2.0, 3.6, 2.4), "metal"),
        ),
        sun_azimuth_deg=260.0,
        sun_elevation_deg=38.0,
        seed=seed,
    )


def courtyards(width: int = 1280, height: int = 960) -> dict[str, Scene]:
    """Six scenes for the blind look, each with the area a customer would mark."""
    return {
        "paving_afternoon": courtyard_for_tests(width, height, seed=1),
        "asphalt_playground": Scene(
            camera=(camera := Camera(width, height, pitch_deg=30.0, yaw_deg=-12.0, height_m=1.7)),
            area=area_in_view(camera, 6.0, 5.0, 4.0, (0.5, 0.5)),
            ground="asphalt",
            boxes=(
                Box((-8.0, 10.5, 0.0), (8.0, 11.0, 1.2), "hedge"),
                Box((3.2, 4.0, 0.0), (3.3, 4.1, 2.6), "metal"),
                Box((-3.8, 6.0, 0.0), (-3.7, 6.1, 2.6), "metal"),
            ),
            sun_azimuth_deg=200.0, sun_elevation_deg=52.0, sun=3.5, seed=2,
        ),
        "concrete_under_tree": Scene(
            camera=(camera := Camera(width, height, pitch_deg=42.0, yaw_deg=20.0, height_m=1.55)),
            area=area_in_view(camera, 4.0, 4.0, -10.0, (0.5, 0.55)),
            ground="concrete",
            boxes=(Box((-5.0, 8.0, 0.0), (7.0, 8.4, 2.8), "brick"),),
            sun_azimuth_deg=160.0, sun_elevation_deg=60.0, canopy_height_m=4.5, seed=3,
        ),
        "earth_yard_low_sun": Scene(
            camera=Camera(width, height, pitch_deg=26.0, yaw_deg=5.0, height_m=1.65),
            area=GroundArea(origin=(-2.0, 3.5), width_m=5.0, depth_m=6.0, angle_deg=3.0),
            ground="earth",
            boxes=(
                Box((-7.0, 12.0, 0.0), (7.0, 12.3, 2.2), "plaster"),
                Box((1.0, 6.0, 0.0), (1.15, 6.15, 2.0), "wood"),
            ),
            sun_azimuth_deg=95.0, sun_elevation_deg=18.0, sun=2.5, sky_tint=(0.8, 0.92, 1.2), seed=4,
        ),
        "grass_overcast": Scene(
            camera=(camera := Camera(width, height, pitch_deg=34.0, yaw_deg=-5.0, height_m=1.6)),
            area=area_in_view(camera, 4.5, 3.5, 3.0, (0.5, 0.52)),
            ground="grass",
            boxes=(
                Box((-6.0, 9.0, 0.0), (6.0, 9.4, 1.6), "hedge"),
                Box((-0.6, 4.6, 0.42), (0.9, 5.0, 0.47), "wood"),
                Box((-0.5, 4.7, 0.0), (-0.4, 4.9, 0.42), "metal"),
                Box((0.7, 4.7, 0.0), (0.8, 4.9, 0.42), "metal"),
            ),
            sun_azimuth_deg=180.0, sun_elevation_deg=45.0, sun=0.35, sky_tint=(0.95, 0.98, 1.05), exposure=0.34, seed=5,
        ),
        "paving_shaded_court": Scene(
            camera=(camera := Camera(width, height, pitch_deg=48.0, yaw_deg=-25.0, height_m=1.75)),
            area=area_in_view(camera, 3.0, 3.0, 12.0, (0.5, 0.5)),
            ground="paving",
            boxes=(
                Box((-6.0, 5.5, 0.0), (6.0, 5.8, 4.0), "brick"),
                Box((-3.2, 0.0, 0.0), (-2.9, 5.5, 4.0), "plaster"),
            ),
            sun_azimuth_deg=20.0, sun_elevation_deg=35.0, sun=3.0, seed=6,
        ),
    }
