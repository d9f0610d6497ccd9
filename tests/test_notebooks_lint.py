"""Committed notebooks stay thin: exactly one parameters cell first, no def/class, no outputs."""

import ast
import json

import pytest

from guozi_analysis.base import config

NOTEBOOKS = sorted(config.NOTEBOOKS_DIR.rglob("*.ipynb"))  # bulletins/ included


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_thin(path):
    nb = json.loads(path.read_text("utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: 应当恰有一个带 parameters 标签的单元格"
    assert code[0] is tagged[0], f"{path.name}: parameters 单元格必须是第一个代码单元格"
    for line in "".join(tagged[0]["source"]).splitlines():
        if line.strip():
            assert "#" in line, f"{path.name}: 参数行缺少注释：{line}"
            node = ast.parse(line).body[0]
            # typed (`period: str = "2022-11"  # 期间`), so that `papermill --help-notebook` names each type
            assert isinstance(node, ast.AnnAssign) and isinstance(node.annotation, ast.Name), \
                f"{path.name}: 参数行应写明类型，如 period: str = \"2022-11\"：{line}"
            assert type(ast.literal_eval(node.value)).__name__ == node.annotation.id, f"{path.name}: 类型与取值不符：{line}"
    for cell in code:
        tree = ast.parse("".join(cell["source"]))
        defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef,
                                                            ast.Lambda))]
        assert not defs, f"{path.name}: 笔记本中不应定义函数或类"
        assert not cell.get("outputs"), f"{path.name}: 提交的笔记本应清除输出"
        assert cell.get("execution_count") is None, f"{path.name}: 提交的笔记本应清除执行计数"
