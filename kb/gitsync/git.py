"""The `git` command line, run without a shell and with a timeout, never prompting.

HTTPS credentials come from the environment (KB_GIT_USERNAME, KB_GIT_PASSWORD) through a credential
helper that reads them there, so a token is never in a URL, a file or the process list; SSH uses a
mounted key through GIT_SSH_COMMAND, which git reads from the environment itself.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

# Reads the credentials from git's environment when a server asks for them.
CREDENTIAL_HELPER = (
    '!f() { test "$1" = get && echo "username=${KB_GIT_USERNAME}" && echo "password=${KB_GIT_PASSWORD}"; }; f'
)


class GitError(Exception):
    """A git command failed; the message says which and what git said (credentials removed)."""


@dataclass(frozen=True)
class Change:
    status: str  # A, M, D, R (rename), T (type changed)
    path: str
    old_path: str = ""


def without_credentials(text: str) -> str:
    """`https://user:token@host/…` → `https://***@host/…`, so a URL with a token never reaches a log or a page."""
    return re.sub(r"(\w+://)[^/@\s]+@", r"\1***@", text)


class Repository:
    def __init__(self, directory: Path, *, timeout: int = 300):
        self.directory = directory
        self.timeout = timeout

    def run(
        self, *args: str, check: bool = True, cwd: Path | None = None, config: tuple[str, ...] = (), stdin: str = ""
    ) -> str:
        command = ["git", "-c", "core.quotePath=false", *config, *args]
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "LC_ALL": "C"}
        if os.environ.get("KB_GIT_PASSWORD"):
            command[1:1] = ["-c", "credential.helper=", "-c", f"credential.helper={CREDENTIAL_HELPER}"]
        try:
            result = subprocess.run(
                command,
                cwd=cwd or self.directory,
                env=env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
                input=stdin,
            )
        except subprocess.TimeoutExpired:
            raise GitError(f"git {args[0]} took more than {self.timeout} s (KB_GIT_TIMEOUT)") from None
        except OSError as exc:
            raise GitError(f"cannot run git: {exc}") from exc
        if check and result.returncode != 0:
            said = without_credentials((result.stderr or result.stdout).strip())
            raise GitError(f"git {args[0]} failed: {said}")
        return result.stdout

    def _returncode(self, *args: str) -> int:
        return subprocess.run(
            ["git", *args], cwd=self.directory, capture_output=True, timeout=self.timeout, stdin=subprocess.DEVNULL
        ).returncode

    # --- the working copy ---------------------------------------------------------------------------

    def fetch(self, *, url: str, branch: str) -> str:
        """Clones the branch, or fetches it into the existing clone; gives the branch's commit."""
        if not (self.directory / ".git").is_dir():
            self.directory.mkdir(parents=True, exist_ok=True)
            self.run("init", "--quiet")
            self.run("remote", "add", "origin", url)
        else:
            self.run("remote", "set-url", "origin", url)
        self.run(
            "fetch", "--quiet", "--prune", "--force", "origin", f"+refs/heads/{branch}:refs/remotes/origin/{branch}"
        )
        return self.commit_of(f"refs/remotes/origin/{branch}")

    def checkout(self, commit: str) -> None:
        """The working copy at exactly `commit`, whatever was left in it."""
        self.run("checkout", "--quiet", "--force", "--detach", commit)
        self.run("clean", "--quiet", "-d", "--force", "-x")

    def commit_of(self, ref: str) -> str:
        return self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()

    def has_commit(self, commit: str) -> bool:
        return self._returncode("cat-file", "-e", f"{commit}^{{commit}}") == 0

    def is_ancestor(self, old: str, new: str) -> bool:
        return self._returncode("merge-base", "--is-ancestor", old, new) == 0

    def changes(self, old: str, new: str, paths: list[str]) -> list[Change]:
        """What changed between two commits in `paths`, renames found (-M) as one change."""
        out = self.run("diff", "--name-status", "-z", "-M", old, new, "--", *paths)
        fields = out.split("\0")
        changes, i = [], 0
        while i < len(fields) - 1:
            status = fields[i][:1]
            if status in ("R", "C"):
                changes.append(Change(status, fields[i + 2], fields[i + 1]))
                i += 3
            else:
                changes.append(Change(status, fields[i + 1]))
                i += 2
        return changes

    def blob(self, commit: str, path: str) -> str | None:
        """The id of `path`'s content at `commit`, or None when it is not there."""
        out = self.run("rev-parse", "--verify", "--quiet", f"{commit}:{path}", check=False).strip()
        return out or None
