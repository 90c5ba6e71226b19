"""A report as a list of blocks, rendered twice: Markdown (figures as files next to it) and one
self-contained HTML file (figures embedded as data: URIs, styles inline, no external links), so
the HTML can be mailed or attached to a ticket on its own.

Inline markup inside text and table cells: `code` and **bold**, nothing else.
"""

import base64
import html
import os
import re
from dataclasses import dataclass


@dataclass
class Heading:
    level: int  # 2: a section, 3: a subsection (1 is the report's title)
    text: str


@dataclass
class Paragraph:
    text: str


@dataclass
class Table:
    headers: list
    rows: list        # lists of cell strings
    numeric: tuple = ()  # column indices aligned right


@dataclass
class Image:
    filename: str     # PNG in the report's directory
    title: str
    caption: str


@dataclass
class Preformatted:
    text: str


def _md_cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(title, blocks):
    out = [f"# {title}", ""]
    for b in blocks:
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, Paragraph):
            out += [b.text, ""]
        elif isinstance(b, Table):
            out.append("| " + " | ".join(_md_cell(h) for h in b.headers) + " |")
            out.append("|" + "|".join("---:" if i in b.numeric else "---"
                                      for i in range(len(b.headers))) + "|")
            out += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in b.rows]
            out.append("")
        elif isinstance(b, Image):
            out += [f"![{b.title}]({b.filename})", "", f"*{b.caption}*", ""]
        elif isinstance(b, Preformatted):
            out += ["```", b.text.rstrip("\n"), "```", ""]
    return "\n".join(out).rstrip("\n") + "\n"


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")


def _inline(text):
    escaped = html.escape(str(text), quote=False)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


_STYLE = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { border-bottom: 2px solid #ddd; padding-bottom: .2em; }
h2 { margin-top: 1.8em; border-bottom: 1px solid #eee; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: .3em .6em; vertical-align: top; }
th { background: #f4f4f4; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.92em; max-width: 60em; }
code, pre { background: #f6f6f6; font-family: Menlo, Consolas, monospace; font-size: 0.9em; }
pre { padding: .8em; overflow-x: auto; }
"""


def _data_uri(path):
    with open(path, "rb") as f:
        return "data:image/png;base64," + base64.b64encode(f.read()).decode("ascii")


def render_html(title, blocks, image_dir):
    out = ["<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
           f"<title>{html.escape(title)}</title>", f"<style>{_STYLE}</style>", "</head>",
           "<body>", f"<h1>{_inline(title)}</h1>"]
    for b in blocks:
        if isinstance(b, Heading):
            out.append(f"<h{b.level}>{_inline(b.text)}</h{b.level}>")
        elif isinstance(b, Paragraph):
            out.append(f"<p>{_inline(b.text)}</p>")
        elif isinstance(b, Table):
            out.append("<table><thead><tr>" +
                       "".join(f"<th>{_inline(h)}</th>" for h in b.headers) +
                       "</tr></thead><tbody>")
            for row in b.rows:
                cells = "".join(
                    f'<td class="num">{_inline(c)}</td>' if i in b.numeric else
                    f"<td>{_inline(c)}</td>" for i, c in enumerate(row))
                out.append(f"<tr>{cells}</tr>")
            out.append("</tbody></table>")
        elif isinstance(b, Image):
            uri = _data_uri(os.path.join(image_dir, b.filename))
            out.append(f'<figure><img src="{uri}" alt="{html.escape(b.title)}">'
                       f"<figcaption>{_inline(b.caption)}</figcaption></figure>")
        elif isinstance(b, Preformatted):
            out.append(f"<pre>{html.escape(b.text)}</pre>")
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"
