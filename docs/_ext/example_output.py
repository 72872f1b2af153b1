"""``example-output``: run code in the plot directive's namespace, show what it prints.

matplotlib's ``plot`` directive runs the worked examples while the docs are
built, but it shows figures only, not printed tables. This directive runs its
content in the same namespace (the one ``.. plot:: :context:`` blocks share),
captures standard output, and renders the code followed by the output. Written
here because neither Sphinx nor matplotlib has a directive that shares the
plot directive's context; an exception in the code fails the build.
"""

from __future__ import annotations

import contextlib
import io

from docutils import nodes
from sphinx.util.docutils import SphinxDirective


class ExampleOutput(SphinxDirective):
    """Execute the content and show it with its printed output."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        from matplotlib.sphinxext import plot_directive

        code = "\n".join(self.content)
        namespace = plot_directive.plot_context
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            exec(compile(code, f"<{self.env.docname} example-output>", "exec"), namespace)
        source = nodes.literal_block(code, code, language="python")
        printed = buffer.getvalue().rstrip() or "(no output)"
        output = nodes.literal_block(printed, printed, language="text")
        output["classes"].append("example-output")
        return [source, output]


def setup(app):
    app.add_directive("example-output", ExampleOutput)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
