"""mmdistill.datasets.sources: a Cholec80 root without tool_annotations/."""
import os
import os.path as osp

import pytest

from mmdistill.datasets import find_sources


def cholec80_root(root: str, with_tools: bool) -> str:
    for folder in ('videos', 'phase_annotations') + (
            ('tool_annotations', ) if with_tools else ()):
        os.makedirs(osp.join(root, folder))
    open(osp.join(root, 'videos', 'video01.mp4'), 'wb').close()
    return root


def test_missing_tool_folder_warns_and_sources_have_no_tool_file(tmp_path):
    root = cholec80_root(str(tmp_path), with_tools=False)
    with pytest.warns(UserWarning, match='tool_annotations: no such folder'):
        sources, _ = find_sources(root, 'cholec80')
    assert [s.tool_path for s in sources] == [None]


def test_present_tool_folder_is_silent(tmp_path, recwarn):
    root = cholec80_root(str(tmp_path), with_tools=True)
    sources, _ = find_sources(root, 'cholec80')
    assert sources[0].tool_path == osp.join(
        root, 'tool_annotations', 'video01-tool.txt')
    assert not [w for w in recwarn if 'tool_annotations' in str(w.message)]
