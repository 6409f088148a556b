"""Build the student release of an assignment with nbgrader's generate_assignment.

The build runs in a throw-away course directory, so that it neither needs nor touches the
instructor's gradebook.db, and its output depends on source/ alone: the sync test rebuilds
each release and compares it with the committed one.
"""
import shutil
import tempfile
from pathlib import Path

from .autograde import course_config, failure_reason, install_fast_gradebook
from .course import SOURCE


def build_release(assignment_id, out_root):
    """Generate release/<assignment_id>/ under out_root, replacing what is there."""
    install_fast_gradebook()
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    with tempfile.TemporaryDirectory(prefix="bptt-release-") as tmp:
        root = Path(tmp)
        shutil.copytree(SOURCE / assignment_id, root / "source" / assignment_id,
                        ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
        cfg = course_config(root, scratch=True)
        api = NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)
        result = api.generate_assignment(assignment_id)
        if not result["success"]:
            raise RuntimeError(f"generate_assignment {assignment_id} failed: {failure_reason(result)}")
        dest = Path(out_root) / assignment_id
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(root / "release" / assignment_id, dest)
    return dest
