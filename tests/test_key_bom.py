"""A key file saved with a byte-order mark gives the same key (tester report 7, 16)."""

from darkfigure.linkage.pseudonymise import load_key

KEY = "3f" * 32


def test_bom_and_crlf_give_the_same_key(tmp_path, monkeypatch):
    plain = tmp_path / "key.txt"
    plain.write_text(KEY + "\n")
    bom = tmp_path / "bomkey.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + KEY.encode() + b"\r\n")
    utf16 = tmp_path / "u16.txt"
    utf16.write_bytes((KEY + "\r\n").encode("utf-16"))  # Notepad's "Unicode": BOM ff fe
    assert load_key(plain) == load_key(bom) == load_key(utf16) == KEY.encode()
    monkeypatch.setenv("DARKFIGURE_KEY", "\ufeff" + KEY)
    assert load_key(None) == KEY.encode()
