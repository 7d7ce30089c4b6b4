"""Commands in Markdown: which code is a shell command, its argv, its placeholders, its danger. No I/O.

Nothing here rewrites a command: a command is kept exactly as the source wrote it (prompts and example
output left out), as an argv when it has no shell syntax and as `sh -c SCRIPT` otherwise.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

SHELL_INFOS = {"bash", "sh", "shell", "console", "zsh", "shell-session", "terminal", "shellsession"}
_SESSION_INFOS = {"console", "shell-session", "shellsession", "terminal"}
OUTPUT_INFOS = {"json", "log", "text", "txt", "output", "yaml", "yml", "xml", "plaintext", "diff", "ini", "toml"}
KNOWN = {
    "kubectl", "curl", "wget", "redis-cli", "psql", "mysql", "grep", "tail", "head", "cat", "less", "systemctl",
    "service", "docker", "helm", "aws", "gcloud", "az", "npm", "npx", "yarn", "pnpm", "git", "ssh", "scp", "top",
    "ps", "pgrep", "pkill", "kill", "journalctl", "sudo", "export", "echo", "ls", "cd", "terraform", "make",
    "python", "python3", "node", "jq", "pg_dump", "pg_restore", "rm", "mv", "cp", "df", "du", "free", "uptime",
    "netstat", "ss", "dig", "nslookup", "ping", "traceroute", "openssl", "rails", "bundle", "rake", "bin/rails",
    "heroku", "flyctl", "fly", "vault", "consul", "nomad", "ansible", "ansible-playbook", "crontab", "watch", "tar",
    "find", "sed", "awk", "sort", "uniq", "wc", "chmod", "chown", "mongo", "mongosh", "etcdctl", "k9s", "stern",
    "argocd", "flux", "istioctl", "linkerd", "nginx", "apachectl", "supervisorctl", "pm2", "celery", "sidekiqctl",
    "mc", "s3cmd", "gsutil", "rclone", "rsync", "unleash", "flipper", "bin/console", "php", "artisan", "go", "cargo",
    "java", "mvn", "gradle", "dotnet", "pwsh", "redis-server", "pg_isready", "pg_ctl", "mysqladmin", "nc", "telnet",
}
_PROMPT = re.compile(r"^\s*\$ (.*)$")
_TRANSCRIPT = re.compile(r"^\s*((?:[\w.-]+:\d+|redis-cli|[\w-]*sql|mongo(?:sh)?|[\w-]+=?)(?:>|=#|=>|#|\]>)) (.+)$")
_TRANSCRIPT_TOOL = re.compile(r"redis|sql|mongo|postgres|\d+:\d+|irb|pry|rails|console|mysql|>$")
_LOG_LINE = re.compile(r"^\s*(?:\[?\d{4}-\d\d-\d\d|\[?\d\d:\d\d:\d\d|[{\[\]}\"]|(?:INFO|WARN|WARNING|ERROR|DEBUG|FATAL)\b|"
                       r"HTTP/\d|[├└│─])")
_PLACEHOLDER = re.compile(r"<[A-Za-z][\w .-]*>|\$\{?[A-Z][A-Z0-9_]*\}?|\bX{3,}\b|\[[A-Z][\w /-]*\]|<%=?.*?%>|\{\{.*?\}\}")
_ANGLE = re.compile(r"<[A-Za-z][\w.-]*>")
_SHELL_SYNTAX = re.compile(r"[|;&<>`()*?]|\$\(|\$[A-Za-z_{]|^\s*\w+=")
_CONTROL = re.compile(r"^\s*(?:for|while|if|until|case|function)\b|<<-?\s*['\"]?\w+|\{\s*$")
_QUOTED = re.compile(r"'[^']*'|\"[^\"$`\\]*\"")
_BRACED = re.compile(r"\$\{[A-Z_][A-Z0-9_]*\}")


@dataclass
class Command:
    """One command as the source wrote it, and how it runs."""

    source: str                  # verbatim text (prompts stripped)
    title: str = ""              # a comment line before it, if any
    argv: list[str] = field(default_factory=list)  # empty: it cannot run as an argv (see why)
    why: str = ""
    placeholders: list[str] = field(default_factory=list)


def first_word(line: str) -> str:
    """The program a command line starts with (after `sudo` and VAR=value prefixes)."""
    words = line.strip().split()
    while words and (words[0] == "sudo" or re.match(r"^[A-Z_][A-Z0-9_]*=", words[0])):
        words = words[1:]
    return words[0] if words else ""


def looks_like_command(line: str, *, loose: bool = False) -> bool:
    """A line of code that starts with a known program or a path to one; `loose` (a code span the text
    introduces): also any lower-case program name followed by arguments."""
    word = first_word(line)
    if word in KNOWN or word.startswith(("./", "/usr/", "/opt/", "bin/", "scripts/", "~/")):
        return True
    return loose and len(line.split()) > 1 and re.fullmatch(r"[a-z][a-z0-9_.+-]*", word) is not None


def is_shell_fence(info: str, text: str) -> bool:
    """A fence that holds shell commands (by its info string, or untagged and shaped like shell)."""
    lang = info.split()[0].lower() if info else ""
    if lang in SHELL_INFOS:
        return True
    if lang:
        return False
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    return bool(lines) and (bool(_PROMPT.match(lines[0])) or looks_like_command(lines[0]))


def is_output(info: str, text: str) -> bool:
    """A block that only shows output (logs, JSON) rather than something to run."""
    lang = info.split()[0].lower() if info else ""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if lang in _SESSION_INFOS and not any(_PROMPT.match(ln) for ln in lines):
        return True  # a console session without a `$ ` prompt shows only output
    return lang in OUTPUT_INFOS or (bool(lines) and all(_LOG_LINE.match(ln) for ln in lines))


def transcript(text: str) -> list[tuple[str, str]]:
    """(prompt, statement) pairs of an interactive session (`redis-cli> GET k`, `psql=# SELECT 1;`)."""
    found = []
    for line in text.splitlines():
        match = _TRANSCRIPT.match(line)
        if match and _TRANSCRIPT_TOOL.search(match.group(1)) and not _PROMPT.match(line):
            found.append((match.group(1), match.group(2).strip()))
    return found


def placeholders(text: str) -> list[str]:
    """Values a person must fill in before the command can run: <pod-id>, $NAMESPACE, XXX, [Service]."""
    return list(dict.fromkeys(m.group(0) for m in _PLACEHOLDER.finditer(text)))


def to_command(source: str, title: str = "") -> Command:
    """The argv of a command; `sh -c` for shell syntax; nothing (with why) where neither is safe."""
    command = Command(source=source, title=title, placeholders=placeholders(source))
    # placeholders and ${VAR} are argv words; quoted text (without $, ` or \ in double quotes) is one word
    masked = _QUOTED.sub("Q", _ANGLE.sub("P", _BRACED.sub("P", source)))
    if "\n" not in source.strip() and not _SHELL_SYNTAX.search(masked):
        try:
            command.argv = shlex.split(source)
            return command
        except ValueError:
            pass
    if _BRACED.search(source):
        command.why = "uses ${VAR} inside shell syntax; Warroom only fills ${VAR} in plain argv"
        return command
    command.argv = ["sh", "-c", source]
    return command


def fence_commands(text: str) -> list[Command]:
    """The commands of a shell fence: prompted lines (their output left out), or the script split at
    comment and blank lines; a script with loops, conditionals or heredocs is kept whole."""
    lines = text.splitlines()
    if any(_PROMPT.match(ln) for ln in lines):
        found: list[Command] = []
        current: list[str] | None = None
        for line in lines:
            match = _PROMPT.match(line)
            if match:
                current = [match.group(1)]
                found.append(Command(source=""))
            elif current is not None and (current[-1].endswith("\\") or line.startswith("> ")):
                current.append(line.removeprefix("> "))
            else:
                current = None  # output of the command above
                continue
            found[-1] = to_command("\n".join(current))
        return found
    if any(_CONTROL.search(ln) for ln in lines):
        body = "\n".join(ln for ln in lines).strip()
        return [to_command(body)]
    units: list[Command] = []
    title, chunk = "", list[str]()

    def flush() -> None:
        nonlocal chunk
        if chunk:
            units.append(to_command("\n".join(chunk), title))
        chunk = []

    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            flush()
            title = stripped.lstrip("#").strip()
        elif not stripped:
            flush()
            title = ""
        else:
            chunk.append(line.rstrip())
    flush()
    return units


_DESTRUCTIVE = re.compile(
    r"(?<![a-z])(?:(?:delete|drop|truncate|destroy|purge|prune|wipe|terminate)(?:_\w+)?|flushdb|flushall|rm\s+-\w*[rf]|"
    r"scale\b.*--replicas[= ]0\b|scale to zero|dropdb|reset --hard)\b", re.IGNORECASE)
_RISKY = re.compile(
    r"(?<![a-z])(?:restart|reboot|kill|pkill|fail ?over|failover|--force|force|roll ?back|rollback|revert|rollout undo|"
    r"disable|shutdown|drain|cordon|evict|flip|promote|expire|cancel(?:_\w+)?)\b", re.IGNORECASE)


_CLAUSE = r"(?:^|[,;:(]\s*|\b(?:then|and|or|if necessary|to)\s+|`)"


def danger(text: str, *, prose: bool = False) -> str:
    """"approve" for clearly destructive text, "confirm" for risky, "" otherwise. In prose the word must
    start a clause ("Restart Redis", "…, then fail over"), not merely be mentioned ("after rollback")."""
    def found(pattern: re.Pattern[str]) -> bool:
        if not prose:
            return pattern.search(text) is not None
        return any(re.search(_CLAUSE + r"\W*$", text[:m.start()], re.IGNORECASE) for m in pattern.finditer(text))
    if found(_DESTRUCTIVE):
        return "approve"
    if found(_RISKY):
        return "confirm"
    return ""
