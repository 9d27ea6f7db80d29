"""Files in and out: every input read safely, every output set replaced as a whole.

**Reading** (:func:`read_input_bytes`, :func:`read_input_text`, :func:`read_yaml`): the one place
every reader of a user's file goes through, so a hostile or mistaken file is refused before any
work, with one located line (`error: FILE:0: -: ...`, exit 2): a folder where a file is expected, a
named pipe, device or socket (refused before opening, so a pipe never blocks), a file that cannot
be read (permission), a symbolic link that leads nowhere or out of the folder it must stay in, a
file over a size cap. YAML is parsed with aliases refused (an alias bomb multiplies a few lines
into billions of items) and duplicate keys reported with both lines.

**Writing** (:func:`write_files`): a command's whole set of files is written into a hidden sibling
folder, flushed to disk, and swapped with the output folder in one step (Linux
``renameat2(RENAME_EXCHANGE)``, macOS ``renamex_np(RENAME_SWAP)``), so a reader or a kill at any
moment sees the previous set or the new one, never a mix, and the output folder stays a real folder
(users open OUT/report.html). Entries of the folder that the new set does not replace (a demo's
``scope/`` folder, a sweep's ``.cache/``, a user's own notes) are carried into the new folder by hard
links. Where the exchange is not available (another OS, a file system without it) the swap is two
renames; a kill between them leaves the previous set whole beside the folder, and the next run puts
it back. Temporary folders a killed run left behind are removed by the next run.
:func:`check_output_folder` says, before any solving, whether a folder can be written this way.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

import yaml

from common.errors import InputError, Problem

# Size caps: the largest input file spokeplan reads (a national areas.csv is a few MiB; the cap is
# generous), and the largest YAML file (settings and models are a few KiB).
MAX_INPUT_BYTES = 200 * 1024 * 1024
MAX_YAML_BYTES = 1024 * 1024
# An output folder holding more entries than this that spokeplan did not write is refused: its
# files would be carried into each new plan folder one by one.
MAX_CARRIED_ENTRIES = 10_000

# What the former one-file-at-a-time writer left when killed: `.NAME.<8 random characters>.tmp`.
_STALE_TEMPORARY = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")

_KINDS = (
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)

# Operating-system errors of writing that are the machine's state, not a bug: exit 2 with one line.
OUTPUT_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "a folder is in the way",
    errno.ENAMETOOLONG: "the path is too long",
    errno.EMLINK: "too many links",
    errno.EIO: "an input/output error of the disk",
}


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def input_problem(
    path: str | Path,
    file: str | None = None,
    *,
    within: str | Path | None = None,
    limit: int = MAX_INPUT_BYTES,
    what: str = "file",
) -> Problem | None:
    """Why `path` cannot be read as an input file, or None. Looks only at the file's metadata.

    `within`: the folder the file must stay in once symbolic links are followed (a scenario or a
    store); `limit`: the size cap in bytes; `what`: the kind of file, for the message.
    """
    file = file or str(path)
    try:
        os.lstat(path)
    except FileNotFoundError:
        return Problem(file, 0, "-", f"{what} not found")
    except OSError as error:
        return Problem(file, 0, "-", f"cannot be read: {_reason(error)}")
    real = os.path.realpath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return Problem(
            file,
            0,
            "-",
            f"is a symbolic link to {_short(real)}, which does not exist (a dangling link); expected a {what}",
        )
    except OSError as error:
        return Problem(file, 0, "-", f"cannot be read: {_reason(error)}")
    if within is not None and not _inside(real, os.path.realpath(within)):
        return Problem(
            file,
            0,
            "-",
            f"leads out of {within} (a symbolic link to {_short(real)}); copy the file into the folder instead",
        )
    if stat.S_ISDIR(info.st_mode):
        return Problem(file, 0, "-", f"is a folder; expected a {what}")
    for test, kind in _KINDS:
        if test(info.st_mode):
            return Problem(file, 0, "-", f"is {kind}, not a regular file; expected a {what}")
    if not stat.S_ISREG(info.st_mode):
        return Problem(file, 0, "-", f"is not a regular file; expected a {what}")
    if info.st_size > limit:
        return Problem(
            file,
            0,
            "-",
            f"is {info.st_size / 2**20:,.1f} MiB; the most spokeplan reads from one file is "
            f"{limit / 2**20:,.0f} MiB: is this the right file?",
        )
    return None


def read_input_bytes(
    path: str | Path,
    file: str | None = None,
    *,
    within: str | Path | None = None,
    limit: int = MAX_INPUT_BYTES,
    what: str = "file",
) -> bytes:
    """The bytes of an input file, or InputError with one located problem (see :func:`input_problem`).

    The file is opened without blocking and checked again once open, so a named pipe swapped in
    after the check is still refused rather than waited on; at most `limit` + 1 bytes are read.
    """
    file = file or str(path)
    problem = input_problem(path, file, within=within, limit=limit, what=what)
    if problem is not None:
        raise InputError([problem])
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise InputError([Problem(file, 0, "-", f"cannot be read: {_reason(error)}")]) from None
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise InputError([Problem(file, 0, "-", f"is not a regular file; expected a {what}")])
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as error:
        raise InputError([Problem(file, 0, "-", f"cannot be read: {_reason(error)}")]) from None
    finally:
        os.close(descriptor)
    if size > limit:
        raise InputError(
            [
                Problem(
                    file,
                    0,
                    "-",
                    f"is larger than {limit / 2**20:,.0f} MiB, the most spokeplan reads "
                    "from one file: is this the right file?",
                )
            ]
        )
    return b"".join(chunks)


def decode_text(raw: bytes, file: str) -> str:
    """UTF-8 text (a byte-order mark allowed), or InputError at the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            [
                Problem(
                    file,
                    line,
                    "-",
                    f"byte 0x{raw[error.start : error.start + 1].hex()} is not UTF-8 text; expected UTF-8",
                )
            ]
        ) from None


def read_input_text(path: str | Path, file: str | None = None, **options) -> tuple[str, bytes]:
    """(text, bytes) of a UTF-8 input file; InputError if it cannot be read or is not UTF-8."""
    file = file or str(path)
    raw = read_input_bytes(path, file, **options)
    return decode_text(raw, file), raw


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader with aliases refused: `*name` repeats a node, and nested repeats
    multiply (nine aliases of nine aliases ... is billions of items from a few lines)."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None,
                None,
                f"an alias (*{event.anchor[:40]}) repeats another part of the file; spokeplan does not "
                "accept YAML aliases: write the value out",
                event.start_mark,
            )
        return super().compose_node(parent, index)


def duplicate_keys(root: yaml.Node | None, file: str) -> list[Problem]:
    """A mapping key given twice anywhere in the YAML tree, at the second key's line, naming the first's."""
    problems: list[Problem] = []
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode):
                    line = key.start_mark.line + 1
                    if key.value in seen:
                        problems.append(
                            Problem(
                                file,
                                line,
                                key.value[:80],
                                f"is given twice (first on line {seen[key.value]}, again on line {line}); give it once",
                            )
                        )
                    else:
                        seen[key.value] = line
                stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return sorted(problems)


def parse_yaml(text: str, file: str) -> tuple[yaml.Node | None, object]:
    """(the node tree that locates keys, the values as yaml.safe_load gives them) of YAML text.

    Raises InputError located at the problem: a syntax error, an alias, a key given twice, a value
    that cannot be built (a number too long, a date that does not exist, nesting too deep).
    """
    loader = None
    try:
        loader = _NoAliasLoader(text)  # may refuse the text at once: a control character
        root = loader.get_single_node()
        duplicates = duplicate_keys(root, file)
        if duplicates:
            raise InputError(duplicates)
        return root, (loader.construct_document(root) if root is not None else None)
    except yaml.reader.ReaderError as error:  # a character YAML does not allow, e.g. a form feed or NUL
        line = text[: error.position].count("\n") + 1
        raise InputError(
            [Problem(file, line, "-", f"not valid YAML: character #x{error.character:04x} is not allowed in YAML text")]
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise InputError(
            [Problem(file, line, "-", f"not valid YAML: {getattr(error, 'problem', None) or error}")]
        ) from None
    except RecursionError:
        raise InputError([Problem(file, 0, "-", "not valid YAML: nested too deeply")]) from None
    except (ValueError, OverflowError, TypeError) as error:  # e.g. a 5,000-digit number, 2024-02-30
        raise InputError(
            [Problem(file, 0, "-", f"not valid YAML: a value cannot be read ({str(error)[:80]})")]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml(
    path: str | Path,
    file: str | None = None,
    *,
    within: str | Path | None = None,
    limit: int = MAX_YAML_BYTES,
    what: str = "YAML file",
) -> tuple[yaml.Node | None, object, bytes]:
    """(node tree, values, raw bytes) of a YAML input file, read and parsed safely. Raises InputError."""
    file = file or str(path)
    text, raw = read_input_text(path, file, within=within, limit=limit, what=what)
    root, data = parse_yaml(text, file)
    return root, data, raw


def _short(path: str) -> str:
    return path if len(path) <= 120 else "..." + path[-117:]


def _reason(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return "permission denied (check the file's permissions)"
    return OUTPUT_ERRNOS.get(error.errno or 0) or error.strerror or type(error).__name__


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(path: str | Path) -> None:
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems cannot sync a folder; the data itself was synced
    finally:
        os.close(descriptor)


def _write_synced(path: Path, data: bytes, mode: int) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(descriptor, view) :]
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write one file so readers see the old file or the new one, never a half-written one
    (a temporary file in the same folder, flushed, renamed over the old one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        os.unlink(temp_name)
        _write_synced(Path(temp_name), data, 0o666 & ~_current_umask())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class OutputError(InputError):
    """The output folder cannot take the files (full, read-only, not a folder...): exit 2, one line."""


def output_problem(out: Path, error: OSError) -> Problem:
    reason = OUTPUT_ERRNOS.get(error.errno or 0) or error.strerror or type(error).__name__
    return Problem(str(out), 0, "-", f"cannot write the files here: {reason}; the previous files are unchanged")


def _staging_prefix(out: Path) -> str:
    return f".{out.name}.spokeplan-"


def _exchange(a: str, b: str) -> bool:
    """Swap two paths in one step; False if this system or file system cannot."""
    try:
        if sys.platform.startswith("linux"):
            libc = ctypes.CDLL(None, use_errno=True)
            function = getattr(libc, "renameat2", None)
            if function is None:
                return False
            at_fdcwd, rename_exchange = -100, 2
            result = function(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
        elif sys.platform == "darwin":
            libc = ctypes.CDLL(None, use_errno=True)
            rename_swap = 2
            result = libc.renamex_np(os.fsencode(a), os.fsencode(b), rename_swap)
        else:
            return False
    except (OSError, AttributeError):
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), a)


def _locked(descriptor: int) -> bool:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def clear_stale(out: Path) -> None:
    """Remove the temporary folders and files a killed run left beside and inside `out`, and put a
    previous set back where a run was killed between the two renames of the fallback swap."""
    parent = out.parent
    if not parent.is_dir():
        return
    prefix = _staging_prefix(out)
    for entry in sorted(parent.iterdir()):
        if not entry.name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
            continue
        try:
            descriptor = os.open(entry, os.O_RDONLY)
        except OSError:
            continue
        try:
            if not _locked(descriptor):
                continue  # another run is writing it now
            if entry.name.startswith(prefix + "previous-") and not os.path.lexists(out):
                os.rename(entry, out)  # the fallback swap stopped half-way: the previous set, whole
                continue
            shutil.rmtree(entry, ignore_errors=True)
        finally:
            os.close(descriptor)
    if out.is_dir() and not out.is_symlink():  # files of the former per-file writer
        for stale in out.iterdir():
            if _STALE_TEMPORARY.match(stale.name) and stale.is_file():
                stale.unlink(missing_ok=True)


def _carry(source: Path, target: Path) -> None:
    """Recreate `source` at `target` sharing its files (hard links; a copy where links cannot be made)."""
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
    elif source.is_dir():
        os.mkdir(target)
        for entry in source.iterdir():
            _carry(entry, target / entry.name)
        shutil.copystat(source, target, follow_symlinks=False)
    else:
        try:
            os.link(source, target, follow_symlinks=False)
        except OSError as error:
            if error.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            shutil.copy2(source, target, follow_symlinks=False)


def _top(name: str) -> str:
    return Path(name).parts[0]


def write_files(out_dir: str | Path, files: dict[str, bytes], replaces: Iterable[str] = ()) -> list[Path]:
    """Replace the set of files in `out_dir` with `files` (name -> bytes; a name may hold folders,
    e.g. ``public/report.html``) in one step: readers see the previous set or the new one, never a mix.

    Top-level entries the new set names, and those matching a pattern of `replaces` (the names this
    command may write, e.g. robustness.csv of an earlier robust plan), are replaced; every other
    entry of the folder is kept. Raises OutputError (exit 2) when the machine refuses the write (disk
    full, read-only, permission); the previous files are then untouched. Returns the files' paths.
    """
    out = Path(os.path.realpath(os.path.abspath(out_dir)))
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        clear_stale(out)
        staging = Path(tempfile.mkdtemp(prefix=_staging_prefix(out) + "new-", dir=out.parent))
    except OSError as error:
        raise OutputError([output_problem(Path(out_dir), error)]) from None
    descriptor = os.open(staging, os.O_RDONLY)
    fcntl.flock(descriptor, fcntl.LOCK_EX)  # a concurrent run's clear_stale leaves it alone
    try:
        mode = 0o666 & ~_current_umask()
        for name, data in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_synced(target, data, mode)
        new_tops = {_top(name) for name in files}
        patterns = tuple(replaces)
        if out.is_dir():
            for entry in out.iterdir():
                if (
                    entry.name in new_tops
                    or any(entry.match(p) for p in patterns)
                    or _STALE_TEMPORARY.match(entry.name)
                ):
                    continue
                _carry(entry, staging / entry.name)
            shutil.copymode(out, staging)
        else:
            os.chmod(staging, 0o777 & ~_current_umask())
        for folder in sorted({(staging / name).parent for name in files}, key=lambda p: -len(p.parts)):
            _fsync_dir(folder)
        if not out.is_dir():
            os.rename(staging, out)  # nothing to replace: the new set appears at once
        elif not _exchange(str(staging), str(out)):
            previous = Path(tempfile.mkdtemp(prefix=_staging_prefix(out) + "previous-", dir=out.parent))
            os.rename(out, previous)
            os.rename(staging, out)
            staging = previous
        _fsync_dir(out.parent)
    except OSError as error:
        shutil.rmtree(staging, ignore_errors=True)
        raise OutputError([output_problem(Path(out_dir), error)]) from None
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        os.close(descriptor)
    shutil.rmtree(staging, ignore_errors=True)  # the previous set (after the swap)
    return [out / name for name in files]


def check_output_folder(out_dir: str | Path, keep_clear_of: Iterable[str | Path] = ()) -> list[Problem]:
    """Whether `out_dir` can take a set of files from :func:`write_files`, checked before any work:
    a folder (or a path that can become one), in a folder where spokeplan may create and rename, not
    a mount point, not the current folder or one holding it, not holding `keep_clear_of` (the inputs)."""
    shown = str(out_dir)
    out = Path(os.path.realpath(os.path.abspath(out_dir)))
    problem = lambda message: [Problem(shown, 0, "--out", message)]  # noqa: E731
    if out.exists() and not out.is_dir():
        return problem("is a file; expected a folder for the output files")
    existing = out
    while not existing.exists():
        existing = existing.parent
    if existing != out and not existing.is_dir():
        return problem(f"{existing} is a file, so no folder can be made under it; expected a folder path")
    cwd = os.path.realpath(os.getcwd())
    if out.exists():
        if out == out.parent or os.path.ismount(out):
            return problem("is a mount point; spokeplan replaces its output folder as a whole: give a folder inside it")
        if _inside(cwd, str(out)):
            return problem(
                "is the current folder or holds it; spokeplan replaces its output folder as a whole: "
                "give a folder of its own, e.g. --out plan"
            )
    for inputs in keep_clear_of:
        if _inside(os.path.realpath(inputs), str(out)):
            return problem(
                f"holds the input {inputs}; spokeplan replaces its output folder as a whole: give a folder of its own"
            )
    probe_in = out.parent if out.parent.exists() else existing
    try:
        probe = tempfile.mkdtemp(prefix=_staging_prefix(out) + "probe-", dir=probe_in)
        os.rmdir(probe)
    except OSError as error:
        return problem(f"cannot be written: {_reason(error)} in {probe_in}")
    if out.is_dir():
        count = 0
        for root, folders, names in os.walk(out):
            count += len(folders) + len(names)
            for folder in folders:
                if os.path.ismount(os.path.join(root, folder)):
                    return problem(f"holds a mount point ({os.path.join(root, folder)}); give a folder of its own")
            if count > MAX_CARRIED_ENTRIES:
                return problem(
                    f"holds more than {MAX_CARRIED_ENTRIES:,} files; spokeplan replaces its output "
                    "folder as a whole: give a folder of its own"
                )
    return []
