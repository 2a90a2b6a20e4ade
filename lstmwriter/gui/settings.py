"""What the app remembers between runs, in an INI file under the platformdirs
config dir (so XDG_CONFIG_HOME isolates a run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QByteArray, QSettings

__all__ = ["MAX_RECENT", "AppSettings", "settings_path"]

MAX_RECENT = 10


def settings_path() -> Path:
    return (Path(platformdirs.user_config_dir("lstmwriter", appauthor=False))
            / "lstmwriter.ini")


class AppSettings:
    """Typed access to the remembered values; keys are grouped like `suggest/...`."""

    def __init__(self, path: Path | None = None) -> None:
        path = Path(path) if path else settings_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    @property
    def path(self) -> Path:
        return Path(self._qs.fileName())

    def get(self, key: str, default: Any) -> Any:
        """The stored value converted to the default's type (INI stores text)."""
        value = self._qs.value(key, None)
        if value is None:
            return default
        try:
            if isinstance(default, bool):
                return value in (True, "true", "1", 1)
            if isinstance(default, (int, float, str)):
                return type(default)(value)
        except (TypeError, ValueError):
            return default
        return value

    def set(self, key: str, value: Any) -> None:
        self._qs.setValue(key, value)

    def adapt_to_document(self) -> bool:
        """Whether suggestions adapt to the document being written (default on)."""
        return self.get("suggest/adapt", True)

    def set_adapt_to_document(self, on: bool) -> None:
        self.set("suggest/adapt", bool(on))

    def get_bytes(self, key: str) -> QByteArray | None:
        value = self._qs.value(key, None)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    def recent_files(self) -> list[str]:
        value = self._qs.value("files/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or []) if v]

    def add_recent(self, path: str) -> list[str]:
        files = [path, *[p for p in self.recent_files() if p != path]][:MAX_RECENT]
        self._qs.setValue("files/recent", files)
        return files

    def remove_recent(self, path: str) -> list[str]:
        files = [p for p in self.recent_files() if p != path]
        self._qs.setValue("files/recent", files)
        return files

    def sync(self) -> None:
        self._qs.sync()
