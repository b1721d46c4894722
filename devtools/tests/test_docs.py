#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every reStructuredText file of the tree (README.rst, doc/) parses without an error or a
warning under docutils: tables, lists, sections and inline markup as written. Sphinx's own
roles and directives (:doc:, toctree, code-block) are stood in for, so that only the reST
itself is judged. Prints each problem as FILE:LINE: message; exit status 1 when any.
"""

import io
import os
import sys

import docutils.core
from docutils import nodes
from docutils.parsers.rst import Directive, directives, roles

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def doc_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    """:doc:`target`: a reference to another page, shown as its text."""
    return [nodes.literal(rawtext, text)], []


class Toctree(Directive):
    """The table of contents of an index page: nothing to check but its presence."""
    has_content = True
    optional_arguments = 0
    option_spec = {"maxdepth": directives.unchanged, "caption": directives.unchanged,
                   "hidden": directives.flag, "numbered": directives.unchanged}

    def run(self):
        return []


class CodeBlock(Directive):
    """A literal block in a named language."""
    has_content = True
    optional_arguments = 1

    def run(self):
        text = "\n".join(self.content)
        return [nodes.literal_block(text, text)]


def rst_files():
    yield os.path.join(TOP, "README.rst")
    for root, dirs, files in os.walk(os.path.join(TOP, "doc")):
        dirs.sort()
        for f in sorted(files):
            if f.endswith(".rst"):
                yield os.path.join(root, f)


def main():
    roles.register_local_role("doc", doc_role)
    directives.register_directive("toctree", Toctree)
    directives.register_directive("code-block", CodeBlock)
    problems = 0
    for path in rst_files():
        err = io.StringIO()
        with open(path, encoding="utf-8") as f:
            src = f.read()
        docutils.core.publish_doctree(src, source_path=path, settings_overrides={
            "report_level": 2, "halt_level": 5, "warning_stream": err,
            "file_insertion_enabled": False})
        for line in err.getvalue().splitlines():
            if "(WARNING/" in line or "(ERROR/" in line or "(SEVERE/" in line:
                print(os.path.relpath(line, TOP) if line.startswith(TOP) else line)
                problems += 1
    print("%u problem(s) in the reStructuredText files" % problems)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
