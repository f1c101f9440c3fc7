"""Models are imported by every process: none of them makes Tortoise read its source file for field comments."""

from __future__ import annotations

from tortoise.models import Model

import models


def test_every_model_skips_the_source_scan_for_comments() -> None:
    classes = [getattr(models, name) for name in models.__all__]
    found = [c.__name__ for c in classes if isinstance(c, type) and issubclass(c, Model)]
    assert len(found) >= 25
    assert [name for name in found if not vars(getattr(models, name)).get("_no_comments")] == []
