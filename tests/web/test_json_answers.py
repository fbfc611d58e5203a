"""A page's JSON is written at once when its data are plain, and through FastAPI's encoder
when they are not (dates): the same bytes either way."""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from hypothesis import given
from hypothesis import strategies as st

from backplan.web.render import json_response

leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
    | st.dates()
    | st.floats(-1e6, 1e6).map(np.float64)
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(values)
def test_the_same_json_as_the_encoder_would_write(data: Any) -> None:
    expected = JSONResponse(jsonable_encoder(data)).body
    assert json_response(data).body == expected


def test_dates_go_through_the_encoder() -> None:
    data = {"day": date(2026, 11, 16), "count": 4, "rate": np.float64(0.25)}
    assert json_response(data, 201).body == b'{"day":"2026-11-16","count":4,"rate":0.25}'
    assert json_response(data, 201).status_code == 201
