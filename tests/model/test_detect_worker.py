"""The detector's frame sources that need no MediaPipe: which files make an image sequence."""

from pathlib import Path

from model.detect_worker import image_sequence


def _touch(folder: Path, names: list[str]) -> None:
    for n in names:
        (folder / n).write_bytes(b"")


def test_sequence_from_a_folder_a_numbered_file_and_a_printf_pattern(tmp_path):
    _touch(tmp_path, ["f_0010.png", "f_0002.png", "f_0001.png", "other_0001.png", "notes.txt"])
    by_number = ["f_0001.png", "f_0002.png", "f_0010.png"]
    assert [p.name for p in image_sequence(tmp_path / "f_0002.png")] == by_number
    assert [p.name for p in image_sequence(tmp_path / "f_%04d.png")] == by_number
    assert [p.name for p in image_sequence(tmp_path / "f_%d.png")] == by_number
    assert [p.name for p in image_sequence(tmp_path)] == ["f_0001.png", "f_0002.png", "f_0010.png", "other_0001.png"]
    assert image_sequence(tmp_path / "g_%04d.png") == []
    assert image_sequence(tmp_path / "missing" / "%04d.png") == []
