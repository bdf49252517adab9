"""Sphinx configuration: API docs of tabagent_cache from its docstrings (built with -W in CI)."""
project = "tabagent_cache"
author = "TabAgent"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
# TypedDicts and aliases refer to typing names Sphinx cannot always resolve; not a doc error.
nitpicky = False
html_theme = "alabaster"
exclude_patterns = ["_build"]
