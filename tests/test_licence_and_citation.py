"""What an instructor needs before adopting the course: LICENSE covers every file, the licences
agree wherever they are declared, and CITATION.cff is valid Citation File Format 1.2.0."""
import datetime
import re
import subprocess
import tomllib

import pytest
import yaml

from autograder.course import ROOT, RELEASE, SOURCE

LICENCES = {"MIT", "CC-BY-4.0"}                   # SPDX identifiers: the code, the course material
NOT_COVERED = {"LICENSE", "CITATION.cff", ".gitignore"}


def citation():
    return yaml.safe_load((ROOT / "CITATION.cff").read_text())


def tracked_files():
    done = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("not a git checkout: which files the course holds is git's list")
    return done.stdout.split()


def licence_section():
    """The part of LICENSE that says which files each licence covers, as a set of names."""
    text = (ROOT / "LICENSE").read_text()
    section = text[text.index("Which files each licence covers"):text.index("Material of others")]
    return {word.strip("(),").rstrip(".") for word in section.split()}


def test_citation_cff_has_what_cff_1_2_0_requires():
    cff = citation()
    assert cff["cff-version"] == "1.2.0"
    for key in ("message", "title"):
        assert isinstance(cff[key], str) and cff[key].strip()
    assert cff["authors"] and all(isinstance(a, dict) and (a.get("name") or a.get("family-names"))
                                  for a in cff["authors"])
    assert cff["type"] in ("software", "dataset")
    assert isinstance(cff["date-released"], str)      # a string: an unquoted date loads as a date object
    datetime.date.fromisoformat(cff["date-released"])


def test_citation_version_and_licences_match_the_project():
    cff = citation()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert cff["version"] == project["version"]
    assert set(cff["license"]) == LICENCES
    assert set(project["license"].split(" AND ")) == LICENCES
    assert project["license-files"] == ["LICENSE"]
    readme = (ROOT / "README.md").read_text()
    assert f"(version {cff['version']})" in readme, "the README's citation names another version"


def test_licence_states_both_licences_in_full_or_by_reference():
    text = (ROOT / "LICENSE").read_text()
    assert "Permission is hereby granted, free of charge" in text and 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    assert "https://creativecommons.org/licenses/by/4.0/legalcode" in text
    assert "Copyright (c)" in text and citation()["authors"][0]["name"] in text


def test_licence_says_which_licence_covers_each_top_level_path():
    named = licence_section()
    tops = {f.split("/")[0] + ("/" if "/" in f else "") for f in tracked_files()}
    assert tops - NOT_COVERED - named == set(), "LICENSE does not say which licence covers these"


def test_licence_names_each_code_module_shipped_with_the_notebooks():
    """Python modules in source/ and release/ are code (MIT) inside the course material (CC BY):
    LICENSE names each one, so that a new module there cannot fall silently under CC BY."""
    named = licence_section()
    modules = {p.name for d in (SOURCE, RELEASE) for p in d.glob("*/*.py")}
    assert modules and modules - named == set()


def test_corpus_note_names_the_licence_of_its_source_and_its_own():
    note = (SOURCE / "03_deep_rnn_why_dx" / "python_function_names_about.md").read_text()
    assert "Python Software Foundation License" in note and "CC BY 4.0" in note
    # the note names the Python whose standard library the list came from; its licence is that one's
    version = re.search(r"CPython (3\.\d+\.\d+)", note).group(1)
    assert f"https://docs.python.org/{version.rsplit('.', 1)[0]}/license.html" in note
