import pytest

from engine.crypto import Vault, VaultError, generate_key, load_or_create_keyfile


def test_roundtrip_and_ciphertext_hides_the_secret() -> None:
    vault = Vault([generate_key()])
    token = vault.encrypt("p@ss-Пароль")
    assert b"p@ss" not in token
    assert vault.decrypt(token) == "p@ss-Пароль"


def test_rotation_keeps_old_secrets_readable_and_moves_them_to_the_new_key() -> None:
    old, new = generate_key(), generate_key()
    token = Vault([old]).encrypt("secret")
    rotated_vault = Vault([new, old])
    assert rotated_vault.decrypt(token) == "secret"
    rotated = rotated_vault.rotate(token)
    assert Vault([new]).decrypt(rotated) == "secret"
    with pytest.raises(VaultError):
        Vault([old]).decrypt(rotated)


def test_wrong_key_error_names_no_secret() -> None:
    token = Vault([generate_key()]).encrypt("hunter2")
    with pytest.raises(VaultError) as err:
        Vault([generate_key()]).decrypt(token)
    assert "hunter2" not in str(err.value)


def test_repr_and_bad_key() -> None:
    key = generate_key()
    assert key not in repr(Vault([key]))
    with pytest.raises(ValueError, match="not a valid Fernet key"):
        Vault(["short"])


def test_keyfile_is_private_and_stable(tmp_path) -> None:
    path = tmp_path / "d" / "secret.key"
    first = load_or_create_keyfile(path)
    assert load_or_create_keyfile(path) == first
    assert path.stat().st_mode & 0o077 == 0
