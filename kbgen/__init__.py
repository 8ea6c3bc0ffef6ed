"""kbgen: compile a multi-tenant help center from Markdown into static sites and search indexes."""

from __future__ import annotations

__all__ = ["__version__"]
__version__ = "0.1.0"
