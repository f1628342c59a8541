"""Registry of renders, owners, enrolled voices, consents and the render audit: SQLite by
default, any SQLAlchemy URL by ``YINSE_DATABASE_URL``."""

from .db import MIGRATIONS, Registry, RenderRecord, default_url
from .voices import SCOPES, AuditRow, Challenge, ConsentRecord, Owner, VoiceRecord

__all__ = [
    "MIGRATIONS",
    "SCOPES",
    "AuditRow",
    "Challenge",
    "ConsentRecord",
    "Owner",
    "Registry",
    "RenderRecord",
    "VoiceRecord",
    "default_url",
]
