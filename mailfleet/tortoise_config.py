"""The configuration `tortoise makemigrations` / `tortoise migrate` read (see [tool.tortoise] in pyproject)."""

import os

from engine.db import tortoise_config

TORTOISE_ORM = tortoise_config(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mailfleet"))
