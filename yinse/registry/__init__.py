"""Registry of renders (and, later, owners, voices and consents): SQLite by default,
any SQLAlchemy URL by ``YINSE_DATABASE_URL``."""

from .db import MIGRATIONS, Registry, RenderRecord, default_url

__all__ = ["MIGRATIONS", "Registry", "RenderRecord", "default_url"]
