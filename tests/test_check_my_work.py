"""The "check my work" cell that ends every release notebook (bptt_utils.check_my_work)."""
import importlib.util
import json

import support

from autograder.student import bptt_utils


def test_in_a_class_release_it_says_so_in_one_sentence(monkeypatch, capsys):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "autograder" else real(name, *a))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    bptt_utils.check_my_work("anything.ipynb")
    out = capsys.readouterr()
    assert out.out.strip() == "The hidden tests are not available here: your instructor grades this notebook."
    assert out.err == ""


def test_it_does_nothing_while_nbgrader_runs_the_notebook(monkeypatch, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    bptt_utils.check_my_work("anything.ipynb")
    assert "Skipped" in capsys.readouterr().out


def test_a_notebook_that_cannot_be_graded_gets_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    (tmp_path / "broken.ipynb").write_text("{not json")
    bptt_utils.check_my_work(str(tmp_path / "broken.ipynb"))
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[0].startswith("Grading ") and "not valid JSON" in out[1]


def test_a_missing_notebook_gets_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    bptt_utils.check_my_work("rnn_step_by_step.ipynb")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and "is not in this folder" in out[0]


def test_a_renamed_copy_is_graded_not_the_original(tmp_path, monkeypatch, capsys):
    """In JupyterLab the kernel knows its notebook (JPY_SESSION_NAME): "Copy1" must not grade the original."""
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.chdir(tmp_path)
    support.write(support.release_nb("01_rnn_step_by_step"), tmp_path / "rnn_step_by_step.ipynb")
    support.write(support.solved("01_rnn_step_by_step"), tmp_path / "rnn_step_by_step-Copy1.ipynb")
    monkeypatch.setenv("JPY_SESSION_NAME", "01_rnn_step_by_step/rnn_step_by_step-Copy1.ipynb")
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    bptt_utils.check_my_work("rnn_step_by_step.ipynb")
    assert capsys.readouterr().out.startswith("Grading rnn_step_by_step-Copy1.ipynb as saved at ")
    assert len(shown) == 1 and "18 / 18" in shown[0]


def test_a_solved_notebook_shows_full_marks_in_a_table(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj.data))
    nb = support.write(support.solved("01_rnn_step_by_step"), tmp_path / "solved.ipynb")
    bptt_utils.check_my_work(str(nb))
    assert len(shown) == 1 and "18 / 18" in shown[0] and "FAIL" not in shown[0]


def test_every_release_notebook_ends_with_the_locked_check_my_work_cell():
    from autograder.course import RELEASE
    for path in sorted(RELEASE.glob("*/*.ipynb")):
        last = json.loads(path.read_text())["cells"][-1]
        nbgrader = last["metadata"].get("nbgrader", {})
        assert f'check_my_work("{path.name}")' in "".join(last["source"]), path
        assert nbgrader.get("locked") and not nbgrader.get("grade"), path
