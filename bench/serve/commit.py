"""The commit a benchmark's binary was built from, for its results file."""
import subprocess

def build_commit(root):
    """HEAD's short hash, with "+changes" when Sources or Package.swift have uncommitted edits
    (the binary was then built from sources no commit holds)."""
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    if subprocess.run(["git", "-C", root, "status", "--porcelain", "--", "Sources", "Package.swift"], capture_output=True, text=True).stdout.strip():
        commit += "+changes"
    return commit
