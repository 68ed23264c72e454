"""The public surfaces of p88.store.results and p88.history: complete and importable."""

from __future__ import annotations

import types

import pytest

import p88.history
import p88.store.results


@pytest.mark.parametrize("package", [p88.store.results, p88.history])
def test_all_lists_every_public_name(package: types.ModuleType) -> None:
    public = {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert sorted(package.__all__) == sorted(public)
    assert all(hasattr(package, name) for name in package.__all__)
