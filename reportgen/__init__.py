"""reportgen: periodic casualty bulletins from a database of documented incidents."""

__version__ = "0.1.0"
