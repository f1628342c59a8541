"""The local signing identity: a root CA and an ES256 end-entity signer, owner-only."""

import datetime as dt
import os
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from yinse.core.errors import InputError, ProvenanceError
from yinse.provenance import keys


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_init_makes_owner_only_files(tmp_path):
    info = keys.init_keys(tmp_path, owner="Jane Doe")
    folder = tmp_path / "keys"
    assert info.folder == folder and mode(folder) == 0o700
    assert mode(info.key_path) == 0o600 and mode(info.root_key_path) == 0o600
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [keys.ROOT_CERT, keys.ROOT_KEY, keys.SIGNER_CERT, keys.SIGNER_KEY]
    )
    assert [p.name for p in tmp_path.iterdir()] == ["keys"]  # no temporary folder left


def test_certificates_are_a_root_and_an_end_entity_signer(tmp_path):
    info = keys.init_keys(tmp_path, owner="Jane Doe")
    root = x509.load_pem_x509_certificate(info.root_pem())
    cert = x509.load_pem_x509_certificate(info.cert_pem())

    # root: self-signed CA that may sign certificates
    assert root.subject == root.issuer
    root.verify_directly_issued_by(root)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert root.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign is True

    # signer: not a CA, digitalSignature + emailProtection, P-256, issued by the root
    basic = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.value.ca is False and basic.critical
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"
    cert.verify_directly_issued_by(root)
    assert cert.subject != cert.issuer
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Jane Doe"

    # facts reported
    assert info.owner == "Jane Doe" and "CN=Jane Doe" in info.subject
    years = (info.not_after - dt.datetime.now(dt.UTC)).days / 365
    assert 4.9 < years < 5.1
    assert root.not_valid_after_utc >= cert.not_valid_after_utc
    assert len(info.fingerprint) == 64 and info.fingerprint != info.root_fingerprint
    described = info.describe()
    assert described["fingerprint"] == info.fingerprint and "expires" in described


def test_init_twice_refuses_without_force(tmp_path):
    first = keys.init_keys(tmp_path)
    with pytest.raises(ProvenanceError, match="already exist.*--force"):
        keys.init_keys(tmp_path)
    assert keys.load_keys(tmp_path).fingerprint == first.fingerprint

    second = keys.init_keys(tmp_path, owner="New owner", force=True)
    assert second.fingerprint != first.fingerprint and second.owner == "New owner"
    assert mode(second.folder) == 0o700 and mode(second.key_path) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["keys"]


def test_load_without_keys_says_what_to_do(tmp_path):
    with pytest.raises(ProvenanceError, match=r"no signing keys; run 'yinse keys init'"):
        keys.load_keys(tmp_path)
    assert keys.trust_anchor_pem(tmp_path) is None


def test_ensure_keys_makes_once_then_reuses(tmp_path):
    made = keys.ensure_keys(tmp_path)
    assert keys.ensure_keys(tmp_path).fingerprint == made.fingerprint
    assert keys.trust_anchor_pem(tmp_path) == made.root_pem()


def test_load_refuses_exposed_or_incomplete_keys(tmp_path):
    info = keys.init_keys(tmp_path)
    os.chmod(info.key_path, 0o644)
    with pytest.raises(ProvenanceError, match="readable by others"):
        keys.load_keys(tmp_path)
    os.chmod(info.key_path, 0o600)
    info.root_cert_path.unlink()
    with pytest.raises(ProvenanceError, match="incomplete.*root-ca.pem"):
        keys.load_keys(tmp_path)


def test_load_refuses_a_signer_from_another_root(tmp_path):
    keys.init_keys(tmp_path / "a")
    other = keys.init_keys(tmp_path / "b")
    (tmp_path / "a" / "keys" / keys.ROOT_CERT).write_bytes(other.root_pem())
    with pytest.raises(ProvenanceError, match="not issued by the root"):
        keys.load_keys(tmp_path / "a")


@pytest.mark.parametrize("owner", ["", "   ", "x" * 65, "bad\nname"])
def test_bad_owner_is_refused(tmp_path, owner):
    with pytest.raises(InputError, match="owner name"):
        keys.init_keys(tmp_path, owner=owner)
    assert not (tmp_path / "keys").exists()
