"""Testing support: pack test cases (``*.cases.yaml``) and their pytest plugin."""

from govrules.testing.cases import CaseFile, CaseResult, load_case_file, run_case_file

__all__ = ["CaseFile", "CaseResult", "load_case_file", "run_case_file"]
