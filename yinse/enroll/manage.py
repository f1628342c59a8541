"""What an owner or operator does with an enrolled voice after enrollment: look at it, take
it away (export), revoke its consent, delete it.  Shared by the CLI and, later, the service."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import time
from pathlib import Path

from ..core.atomic import temp_beside
from ..core.errors import InputError, VoiceError


def _registry(registry):
    from ..registry import Registry

    return registry or Registry()


def _voice(name: str, registry):
    record = registry.get_voice(name)
    if record is None:
        raise VoiceError(f"there is no enrolled voice called '{name}'; 'yinse voice list' shows them")
    return record


def describe(name: str, *, registry=None) -> dict:
    """Everything a report about one voice shows: the record, every consent with its state,
    the number of renders audited, how a consent recording is checked against the voice,
    and where the bank and its quality plot lie."""
    from ..registry.speaker import EMBEDDING_VERSION, THRESHOLDS
    from ..voices.timbre import TimbreBank

    registry = _registry(registry)
    record = _voice(name, registry)
    consents = [c.to_json() for c in registry.consents_for(name)]
    audit = registry.audit_for(name)
    bank = Path(record.bank_path)
    stored = TimbreBank.read_meta(bank) if (bank / "bank.json").is_file() else {}
    return {
        "voice": record.to_json(),
        "consents": consents,
        "renders": len(audit),
        "last_render": audit[-1].created_at.isoformat() if audit else None,
        #: A voice keeps the speaker embedding it was enrolled with (older ones: version 1,
        #: whose scores move with the recording's level); a new consent is checked that way.
        "speaker_check": {"embedding_version": record.embedding_version,
                          "consent_threshold": THRESHOLDS[record.embedding_version][0],
                          "current": record.embedding_version == EMBEDDING_VERSION},
        "bank": str(bank),
        #: Harvest's speaking pitch of the owner (0: a bank made before it was stored).
        "speaking_hz": round(float(stored.get("speaking_hz", 0.0)), 1),
        "quality_plot": str(bank / "quality.png") if (bank / "quality.png").exists() else None,
    }


def revoke(name: str, *, reason: str = "", registry=None) -> int:
    registry = _registry(registry)
    _voice(name, registry)
    return registry.revoke(voice_name=name, reason=reason)


def delete(name: str, *, reason: str = "", registry=None) -> Path:
    """Mark the voice deleted (its consents revoked, its audit kept) and remove its bank:
    the person's voice data does not outlive the voice."""
    registry = _registry(registry)
    record = _voice(name, registry)
    registry.delete_voice(name, reason=reason)
    bank = Path(record.bank_path)
    shutil.rmtree(bank, ignore_errors=True)
    return bank


def export(name: str, out_path: Path, *, registry=None) -> Path:
    """A ``.tar.gz`` with the bank, its manifest, the consent records and the render audit:
    what the owner takes with them.  Written atomically."""
    registry = _registry(registry)
    out = Path(out_path)
    if not out.name.endswith((".tar.gz", ".tgz")):
        raise InputError(f"export writes a .tar.gz archive; give a name such as '{name}.tar.gz'")
    if not out.parent.is_dir():
        raise InputError(f"cannot write '{out}': the folder '{out.parent}' does not exist")
    info = describe(name, registry=registry)
    bank = Path(info["bank"])
    if not bank.is_dir():
        raise VoiceError(f"the bank of '{name}' is missing at {bank}; the voice cannot be exported")
    audit = [
        {"render_id": a.render_id, "scope": a.scope, "consent_id": a.consent_id,
         "output": a.output, "created_at": a.created_at.isoformat()}
        for a in registry.audit_for(name)
    ]  # fmt: skip
    with temp_beside(out) as tmp:
        with tarfile.open(tmp, "w:gz") as tar:
            for path in sorted(bank.iterdir()):
                tar.add(path, arcname=f"{name}/{path.name}")
            for member, payload in (("voice.json", info), ("audit.json", audit)):
                data = json.dumps(payload, ensure_ascii=False, indent=1).encode()
                entry = tarfile.TarInfo(f"{name}/{member}")
                entry.size, entry.mtime = len(data), int(time.time())
                tar.addfile(entry, io.BytesIO(data))
        os.replace(tmp, out)
    return out
