"""``driftguard config migrate``: driftguard.yaml written from the deprecated zones.yaml, .driftguardignore and
driftguard.toml, atomically, removing nothing."""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from driftguard.api._common import OperationalError
from driftguard.api.config import CONFIG_FILE, InvalidConfigError, config_sources
from driftguard.baseline import config as loader


@dataclass(frozen=True)
class Migration:
    """What ``driftguard config migrate`` did (or would do with ``--dry-run``)."""

    path: Path
    text: str
    migrated: dict[str, str]
    """Deprecated file → section written."""
    kept: list[str]
    """Deprecated files left in place (nothing is removed or renamed)."""
    written: bool


def migrate_config(repo_path: Path, *, dry_run: bool = False) -> Migration:
    """Write (or with ``dry_run`` only show) driftguard.yaml holding the deprecated files' configuration, an
    existing driftguard.yaml kept as written. Atomic: the old file stays whole until the new one is complete.
    Nothing is removed or renamed; the deprecated files are reported as kept."""
    sources = config_sources(repo_path, None)
    try:
        loaded = loader.load_config(sources)
        text = loader.migrate(sources)
    except loader.ConfigError as exc:
        raise InvalidConfigError(exc.issues) from None
    path = repo_path / CONFIG_FILE
    kept = sorted(Path(s.file).name for s in sources.legacy().values())
    migrated = {Path(f).name: s for f, s in loaded.from_legacy.items()}
    if not migrated or dry_run:
        return Migration(path, text, migrated, kept, written=False)
    _atomic_write(path, text)
    return Migration(path, text, migrated, kept, written=True)


def _atomic_write(path: Path, text: str) -> None:
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".driftguard-", suffix=".yaml.tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except OSError as exc:
        raise OperationalError(f"cannot write {path}: {exc.strerror or exc}; {path.name} unchanged") from None
    finally:
        if tmp is not None and Path(tmp).exists():
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
