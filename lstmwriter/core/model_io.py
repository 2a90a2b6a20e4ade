"""Models in and out of other tools' formats: ml5.js charRNN folders in, ml5.js
folders and ONNX files out. Plain functions: the CLI calls them, and the window
runs them on a worker thread (model files can be large)."""

from __future__ import annotations

from pathlib import Path

from .store import LoadedModel, ModelStore, load_model_dir

__all__ = ["EXPORT_FORMATS", "export_model", "export_model_dir", "import_ml5_model"]

EXPORT_FORMATS = ("ml5", "onnx")


def import_ml5_model(folder: Path, store: ModelStore, name: str | None = None) -> str:
    """Import an ml5.js charRNN folder into `store`; returns the new model's name.
    Raises ModelFileError or ValueError with a message for the user."""
    from .ml5 import import_ml5  # the ml5 code is loaded only when used

    return Path(import_ml5(Path(folder), store, name)).name


def export_model(loaded: LoadedModel, kind: str, out: Path) -> None:
    """Write `loaded` as `kind`: "ml5" (a new or empty folder) or "onnx" (a
    file). Raises ValueError for a model the format cannot hold, or without the
    onnx package."""
    if kind == "onnx":
        from .onnx_export import export_onnx  # needs the optional onnx package

        export_onnx(loaded, Path(out))
    elif kind == "ml5":
        from .ml5 import export_ml5

        export_ml5(loaded, Path(out))
    else:
        raise ValueError(f"unknown export format {kind!r} "
                         f"(one of {', '.join(EXPORT_FORMATS)})")


def export_model_dir(model_path: Path, kind: str, out: str | Path) -> str:
    """Load the model in the folder `model_path` and export it (`export_model`);
    returns `out`, where it went, as given."""
    export_model(load_model_dir(Path(model_path)), kind, Path(out))
    return str(out)
