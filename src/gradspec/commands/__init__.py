"""One module per ``gradspec`` sub-command (see :mod:`gradspec.cli`)."""
