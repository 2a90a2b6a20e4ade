"""lstmwriter: a desktop writing assistant that learns a writer's style with an LSTM."""

__version__ = "0.1.0"
__all__ = ["__version__"]
