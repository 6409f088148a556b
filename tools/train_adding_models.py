"""Regenerate the trained models of assignment 04 from their recipes
(autograder/reference/adding_training.py):

    python tools/train_adding_models.py

- autograder/reference/adding_model.npz: the LSTM that the notebook studies and the hidden tests
  use (source/04_using_dx/adding_model.npz links to it);
- source/04_using_dx/adding_models_by_length.npz: an RNN and an LSTM for each sequence length of
  the notebook's section 4.
Each model's notes hold its recipe, its test error and its training curve. Training is plain
numpy with fixed seeds, so the files come out the same on every run (tests/test_using_dx.py
checks that they are what the recipes make). It takes about half a minute.
"""
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")      # small matrices: one thread is fastest

from autograder.course import ROOT, SOURCE  # noqa: E402
from autograder.reference import adding_task as task  # noqa: E402
from autograder.reference import adding_training as recipes  # noqa: E402

MODEL_FILE = ROOT / "autograder" / "reference" / "adding_model.npz"
LENGTH_MODELS_FILE = SOURCE / "04_using_dx" / "adding_models_by_length.npz"


def main():
    model, notes = recipes.make_model()
    task.save_model(MODEL_FILE, model, **notes)
    print(f"wrote {MODEL_FILE.relative_to(ROOT)}: test error {notes['test_mse']:.5f}")
    models = recipes.make_length_models()
    task.save_models(LENGTH_MODELS_FILE, models)
    errors = ", ".join(f"{name} {n['test_mse']:.4f}" for name, (_, n) in models.items())
    print(f"wrote {LENGTH_MODELS_FILE.relative_to(ROOT)}: test errors {errors}")


if __name__ == "__main__":
    main()
