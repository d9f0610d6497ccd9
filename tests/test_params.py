"""Reading parameter files: parsed once per version of the file, every caller gets its own copy."""

from __future__ import annotations

import os

from guozi_analysis.base.params import read_yaml


def test_a_changed_copy_does_not_reach_the_next_reader(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: {b: [1, 2]}\n", encoding="utf-8")
    first = read_yaml(path)
    first["a"]["b"].append(3)
    assert read_yaml(path) == {"a": {"b": [1, 2]}}


def test_an_edited_file_is_read_again(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text("a: 1\n", encoding="utf-8")
    assert read_yaml(path) == {"a": 1}
    path.write_text("a: 22\n", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # even within one clock tick
    assert read_yaml(path) == {"a": 22}
