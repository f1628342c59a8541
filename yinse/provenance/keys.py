"""The local signing identity for C2PA manifests.

``yinse keys init`` makes two certificates with ``cryptography``, offline:

* a local root CA (self-signed, ``CA:true``, ``keyCertSign``), used only to issue the
  signer and given to readers as the trust anchor;
* an end-entity signing certificate issued by that root: ES256 (P-256) key, not a CA,
  ``digitalSignature`` key usage, extended key usage ``emailProtection``, valid 5 years,
  subject CN = the owner's name.  C2PA refuses self-signed or CA certificates as signers,
  which is why there are two.

Everything lives in ``<home>/keys`` (mode 0700); private keys are 0600.  The folder is
built in a temporary sibling and renamed into place, so a crash leaves either the old keys
or the new ones, never a mix.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import InputError, ProvenanceError

KEYS_DIR = "keys"
ROOT_CERT = "root-ca.pem"
ROOT_KEY = "root-ca.key"
SIGNER_CERT = "signer.pem"
SIGNER_KEY = "signer.key"
ALGORITHM = "ES256"
ROOT_YEARS = 10
SIGNER_YEARS = 5
ORGANIZATION = "Yinse"
NO_KEYS = "no signing keys; run 'yinse keys init'"


@dataclass(frozen=True)
class KeyInfo:
    """Paths and facts of a signing identity (the PEM text is read on demand)."""

    folder: Path
    root_cert_path: Path
    root_key_path: Path
    cert_path: Path
    key_path: Path
    subject: str  # RFC 4514, e.g. "CN=Yinse local,O=Yinse"
    owner: str  # the CN
    issuer: str
    fingerprint: str  # SHA-256 of the signer certificate (DER), hex
    root_fingerprint: str
    not_before: dt.datetime
    not_after: dt.datetime
    algorithm: str = ALGORITHM

    def cert_pem(self) -> bytes:
        """The signer's certificate chain as given to C2PA (the end-entity certificate;
        the root is left out on purpose: a reader must already hold it to trust it)."""
        return self.cert_path.read_bytes()

    def key_pem(self) -> bytes:
        return self.key_path.read_bytes()

    def root_pem(self) -> bytes:
        return self.root_cert_path.read_bytes()

    def describe(self) -> dict[str, str]:
        """One line per fact, for ``yinse keys show``."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "algorithm": self.algorithm,
            "fingerprint": self.fingerprint,
            "root fingerprint": self.root_fingerprint,
            "valid from": self.not_before.isoformat(timespec="seconds"),
            "expires": self.not_after.isoformat(timespec="seconds"),
            "certificate": str(self.cert_path),
            "private key": str(self.key_path),
            "trust anchor": str(self.root_cert_path),
        }


def keys_folder(home: Path) -> Path:
    return Path(home) / KEYS_DIR


def trust_anchor_pem(home: Path) -> bytes | None:
    """Our root certificate (PEM) for readers, or None when no keys were made yet."""
    path = keys_folder(home) / ROOT_CERT
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def ensure_keys(home: Path) -> KeyInfo:
    """The identity in ``home``, made on first use."""
    folder = keys_folder(home)
    if not folder.exists():
        try:
            return init_keys(home)
        except ProvenanceError:
            if not folder.exists():  # a real failure, not a concurrent first use
                raise
    return load_keys(home)


def init_keys(home: Path, *, owner: str = "Yinse local", force: bool = False) -> KeyInfo:
    """Make a new root and signer in ``home/keys``; refuses to replace keys unless ``force``.

    Replacing keys means files signed before are no longer ``Trusted`` by this machine
    (their root is gone); they still read as ``Valid``."""
    owner = _check_owner(owner)
    home = Path(home)
    folder = keys_folder(home)
    if folder.exists() and not force:
        raise ProvenanceError(
            f"signing keys already exist in '{folder}'; keep them, or run "
            "'yinse keys init --force' to replace them (files signed with the old keys "
            "will no longer show as trusted)"
        )
    try:
        home.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".keys-new-", dir=home))  # mode 0700
    except OSError as error:
        raise ProvenanceError(f"cannot create signing keys in '{home}': {error}") from error
    try:
        for name, data, mode in _make_identity(owner):
            _write_private(tmp / name, data, mode)
        os.chmod(tmp, 0o700)
        _fsync_dir(tmp)
        _swap_into_place(tmp, folder, force=force)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(home)
    return load_keys(home)


def load_keys(home: Path) -> KeyInfo:
    """The identity in ``home/keys``, checked: complete, private keys owner-only, signer
    issued by the root, matching its key, and not expired."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization

    folder = keys_folder(home)
    if not folder.is_dir():
        raise ProvenanceError(NO_KEYS)
    paths = {name: folder / name for name in (ROOT_CERT, ROOT_KEY, SIGNER_CERT, SIGNER_KEY)}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        raise ProvenanceError(
            f"the signing keys in '{folder}' are incomplete (missing {', '.join(missing)}); "
            "run 'yinse keys init --force' to make new ones"
        )
    for name in (SIGNER_KEY, ROOT_KEY):
        mode = stat.S_IMODE(paths[name].stat().st_mode)
        if mode & 0o077:
            raise ProvenanceError(
                f"the private key '{paths[name]}' is readable by others (mode {mode:04o}); "
                f"run 'chmod 600 {paths[name]}' (and consider 'yinse keys init --force')"
            )
    try:
        root = x509.load_pem_x509_certificate(paths[ROOT_CERT].read_bytes())
        cert = x509.load_pem_x509_certificate(paths[SIGNER_CERT].read_bytes())
        key = serialization.load_pem_private_key(paths[SIGNER_KEY].read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise ProvenanceError(
            f"the signing keys in '{folder}' cannot be read ({error}); "
            "run 'yinse keys init --force' to make new ones"
        ) from error
    try:
        cert.verify_directly_issued_by(root)
    except Exception as error:
        raise ProvenanceError(
            f"the signing certificate in '{folder}' was not issued by the root beside it; "
            "run 'yinse keys init --force' to make a matching pair"
        ) from error
    if key.public_key().public_numbers() != cert.public_key().public_numbers():
        raise ProvenanceError(
            f"the private key in '{folder}' does not match the signing certificate; "
            "run 'yinse keys init --force' to make a matching pair"
        )
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc <= now:
        raise ProvenanceError(
            f"the signing certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
            "run 'yinse keys init --force' to make a new one"
        )
    cns = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return KeyInfo(
        folder=folder,
        root_cert_path=paths[ROOT_CERT],
        root_key_path=paths[ROOT_KEY],
        cert_path=paths[SIGNER_CERT],
        key_path=paths[SIGNER_KEY],
        subject=cert.subject.rfc4514_string(),
        owner=str(cns[0].value) if cns else "",
        issuer=cert.issuer.rfc4514_string(),
        fingerprint=_fingerprint(cert),
        root_fingerprint=_fingerprint(root),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
    )


# --- making ---------------------------------------------------------------------------


def _check_owner(owner: str) -> str:
    owner = (owner or "").strip()
    if not owner or len(owner) > 64 or any(ord(c) < 32 for c in owner):
        raise InputError(
            f"the owner name {owner!r} cannot go in a certificate: give 1 to 64 printable "
            "characters, e.g. --owner 'Jane Doe'"
        )
    return owner


def _make_identity(owner: str) -> list[tuple[str, bytes, int]]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(minutes=5)  # tolerate a little clock skew between machines

    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"{owner} root CA"[:64]),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "local signing root"),
        ]
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + dt.timedelta(days=365 * ROOT_YEARS + 3))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, owner),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANIZATION),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + dt.timedelta(days=365 * SIGNER_YEARS + 1))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )

    def private(k) -> bytes:
        return k.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    pem = serialization.Encoding.PEM
    return [
        (ROOT_CERT, root.public_bytes(pem), 0o644),
        (ROOT_KEY, private(root_key), 0o600),
        (SIGNER_CERT, cert.public_bytes(pem), 0o644),
        (SIGNER_KEY, private(key), 0o600),
    ]


def _fingerprint(cert) -> str:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex()


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Create ``path`` with ``mode`` from the start (never briefly world-readable)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(path, mode)


def _swap_into_place(tmp: Path, folder: Path, *, force: bool) -> None:
    if not folder.exists():
        try:
            os.rename(tmp, folder)
            return
        except OSError as error:  # someone else made keys at the same moment
            if not folder.exists() or force:
                raise ProvenanceError(
                    f"cannot store signing keys in '{folder}': {error}"
                ) from error
            raise ProvenanceError(
                f"signing keys already exist in '{folder}'; keep them, or run "
                "'yinse keys init --force' to replace them"
            ) from error
    old = Path(tempfile.mkdtemp(prefix=".keys-old-", dir=folder.parent))
    os.rmdir(old)
    os.rename(folder, old)
    try:
        os.rename(tmp, folder)
    except OSError as error:
        os.rename(old, folder)
        raise ProvenanceError(f"cannot replace the signing keys in '{folder}': {error}") from error
    shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
