"""Files darkfigure writes get the mode a plain open() would give them (666 less the umask)."""


def test_manifest_and_atomic_files_have_the_mode_of_plain_files(tmp_path):
    # a fresh-clone check found .darkfigure-outputs.json at mode 600 beside outputs at 644 (mkstemp's mode)
    import os
    import stat

    from darkfigure.outputs import MANIFEST, write_atomic, write_folder

    mask = os.umask(0o022)
    try:
        def writer(d):
            (d / "a.csv").write_text("x\n")
            return [d / "a.csv"]

        write_folder(tmp_path / "o", writer, command="test")
        write_atomic(tmp_path / "o" / "b.bin", b"y")
        for name in (MANIFEST, "a.csv", "b.bin"):
            assert stat.S_IMODE((tmp_path / "o" / name).stat().st_mode) == 0o644, name
    finally:
        os.umask(mask)
