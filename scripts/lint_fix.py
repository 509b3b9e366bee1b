# Copyright 2026 pose3d_ros developers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Mechanical fixes for ROS 2's linters that the formatters do not make.

scripts/lint_fix.sh runs this.

    python scripts/lint_fix.py headers|quotes|comments|docstrings|classes|noqa FILE...

headers     the Apache-2.0 licence header of package.xml (ament_copyright) at the top of each file
            (after a shebang), where no "Copyright" line is in the first lines.
quotes      double-quoted one-line literals (plain and f-strings) -> single quotes where no quote
            inside
            would need an escape (flake8-quotes Q000; ruff leaves f-strings and string
            annotations).
comments    comments past 99 columns: a trailing comment moves onto its own line above, full-line
            comments are re-wrapped at 99 columns (tokenize finds comments, strings are never
            touched).
docstrings  what ament_pep257 asks of docstrings: summary on the second line (D213), one summary
            line
            ending in a period (D205, D400, D415; a summary paragraph is joined, or split after its
            first sentence), imperative first word as pydocstyle suggests it (D401), capitalised
            first word (D403), closing quotes on their own line (D209), Google-style "Args:"
            headers turned into underlined sections with blank lines around (D406, D407, D411,
            D413), and docstring lines past 99 columns re-wrapped (indented example blocks are left
            alone).
classes     a blank line before the first statement of a class body (flake8-class-newline CNL100).
noqa        `# noqa: A00x` where flake8-builtins flags a name that a message field or an API fixes
(the
            tracks' `id`, the sidecar's `format`, TensorRT's `input`); renaming would break a
            contract.
Deterministic: running it twice changes nothing the second time.
"""

from __future__ import annotations

import ast
import datetime
import io
from pathlib import Path
import re
import sys
import textwrap
import tokenize

MAX = 99
HOLDER = 'pose3d_ros developers'
HEADER = """# Copyright {year} {holder}
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.
"""
SECTIONS = (
    'Args',
    'Arguments',
    'Attributes',
    'Example',
    'Examples',
    'Keyword Args',
    'Methods',
    'Note',
    'Notes',
    'Other Parameters',
    'Parameters',
    'Raises',
    'References',
    'Returns',
    'See Also',
    'Todo',
    'Warns',
    'Warnings',
    'Yields',
)
SECTION_RE = re.compile(r'^(\s*)(' + '|'.join(SECTIONS) + r'):?\s*$')


def add_header(text: str, year: int) -> str:
    head = text.split('\n', 15)[:15]
    # a header comment, not the word
    if any(re.match(r'#\s*Copyright \d{4}', line) for line in head):
        return text
    header = HEADER.format(year=year, holder=HOLDER)
    if text.startswith('#!'):
        shebang, _, rest = text.partition('\n')
        return f'{shebang}\n{header}\n{rest}'
    return header + ('\n' + text if text.strip() else '')


def fix_comments(text: str) -> str:
    lines = text.split('\n')
    tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    starts, start = {}, None  # physical row -> first row of its logical line
    for tok in tokens:
        if start is None and tok.type not in (
            tokenize.NL,
            tokenize.COMMENT,
            tokenize.INDENT,
            tokenize.DEDENT,
            tokenize.NEWLINE,
            tokenize.ENDMARKER,
        ):
            start = tok.start[0]
        if start is not None:
            for row in range(tok.start[0], tok.end[0] + 1):
                starts.setdefault(row, start)
        if tok.type == tokenize.NEWLINE:
            start = None
    comments = [t for t in tokens if t.type == tokenize.COMMENT]
    for tok in reversed(comments):  # bottom-up keeps earlier line numbers valid
        row, col = tok.start[0] - 1, tok.start[1]
        line = lines[row]
        if len(line) <= MAX or tok.string.startswith(('#!', '# type:')) or 'noqa' in tok.string:
            continue
        code = line[:col].rstrip()
        # a trailing comment goes above its statement
        head = (starts.get(row + 1, row + 1) - 1) if code else row
        indent = re.match(r'\s*', lines[head]).group(0)
        body = tok.string.lstrip('#').strip()
        wrapped = textwrap.wrap(
            body, MAX - len(indent) - 2, break_long_words=False, break_on_hyphens=False
        )
        block = [f'{indent}# {w}' for w in wrapped] or [f'{indent}#']
        if code:
            lines[row] = code
            lines[head:head] = block
        else:
            lines[row: row + 1] = block
    return '\n'.join(lines)


def _numpy_sections() -> set[str]:
    from pydocstyle.checker import ConventionChecker

    return set(ConventionChecker.NUMPY_SECTION_NAMES)


def _imperative(word: str) -> str | None:
    """Pydocstyle's imperative form of `word` (D401), or None when it has none to offer."""
    from pydocstyle.wordlists import IMPERATIVE_BLACKLIST, IMPERATIVE_VERBS, stem

    check = word.lower()
    if check in IMPERATIVE_BLACKLIST:
        return None
    forms = IMPERATIVE_VERBS.get(stem(check))
    if not forms or check in forms:
        return None

    def common_prefix(a: str, b: str) -> int:
        n = 0
        while n < min(len(a), len(b)) and a[n] == b[n]:
            n += 1
        return n

    best = max(sorted(forms), key=lambda form: common_prefix(check, form))  # pydocstyle's choice
    return best.capitalize() if word[0].isupper() else best


RETURN_PHRASES = {
    'the': 'Return the',
    'a': 'Return a',
    'an': 'Return an',
    'number': 'Return the number',
    'true': 'Return True',
    'false': 'Return False',
    'new': 'Return a new',
}


def _fix_summary_word(summary: str, function: bool) -> str:
    """
    D401 / D403 on the first word.

    Judged as pydocstyle does (the whole first whitespace-separated word)
    """
    if not summary.strip():
        return summary
    token = summary.split()[0]
    word = re.sub(r'^\W+|\W+$', '', token)  # pydocstyle strips non-alphanumerics for D401
    rest = summary[summary.index(token) + len(token):]
    # a summary naming what it returns
    if function and word.lower() in RETURN_PHRASES and token == word:
        return RETURN_PHRASES[word.lower()] + rest
    if function and token == word:
        better = _imperative(word)
        if better:
            return better + rest
    # D403
    if re.fullmatch(r"[A-Za-z']+", token) and not token.isupper() and token != token.capitalize():
        return (token.capitalize() if token[1:].islower() else f'`{token}`') + rest
    return summary


def _end_with_period(summary: str) -> str:
    s = summary.rstrip()
    if s.endswith(('.', '?', '!')):
        return s
    return (s[:-1] if s.endswith(':') else s) + '.'


def _wrap_prose(line: str, indent: str, prev: str, nxt: str, in_section: bool) -> list[str]:
    """
    Return a docstring line past 99 columns re-wrapped.

    Usage lines, examples and tables (an indented block after a blank line or a line ending in ':')
    are left alone.
    """
    if len(line) <= MAX:
        return [line]
    own = re.match(r'\s*', line).group(0)
    block = len(own) > len(indent) + 3 and (not prev.strip() or prev.rstrip().endswith(':'))
    if block and not in_section or line.lstrip().startswith(('>>>', '$ ', '|')):
        return [line]
    bullet = re.match(r'(\s*(?:[-*] |\d+\. ))', line)
    nxt_indent = re.match(r'\s*', nxt).group(0) if nxt.strip() else ''
    sub = (
        ' ' * len(bullet.group(1))
        if bullet
        else (
            nxt_indent
            if len(nxt_indent) > len(own)
            else own + '    ' if in_section and len(own) <= len(indent) + 4 else own
        )
    )
    return textwrap.wrap(
        line.strip(),
        MAX,
        initial_indent=own,
        subsequent_indent=sub,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [line]


def _reflow(lines: list[str], indent: str) -> list[str]:
    """
    Paragraphs of two or more lines at one indentation, one of them past 99 columns.

    Filled again to 99
    """

    def lead(line: str) -> str:
        return re.match(r'\s*', line).group(0)

    def plain(line: str) -> bool:
        return (
            bool(line.strip())
            and not SECTION_RE.match(line)
            and not re.fullmatch(r'\s*-+\s*', line)
            and not re.match(r'\s*(?:[-*] |\d+\. |>>>|\$ |\|)', line)
        )

    out, i = [], 0
    while i < len(lines):
        j = i
        while j < len(lines) and plain(lines[j]) and lead(lines[j]) == lead(lines[i]):
            j += 1
        para = lines[i:j]
        if len(para) >= 2 and any(len(x) > MAX for x in para):
            out += textwrap.wrap(
                ' '.join(x.strip() for x in para),
                MAX,
                initial_indent=lead(para[0]),
                subsequent_indent=lead(para[0]),
                break_long_words=False,
                break_on_hyphens=False,
            )
            i = j
        else:
            out.append(lines[i])
            i += 1
    return out


def _depth0(text: str) -> list[bool]:
    """Tell, per character of `text`, whether it lies outside (), [], {} and backquotes."""
    depth, tick, out = 0, False, []
    for ch in text:
        if ch == '`':
            tick = not tick
        elif not tick and ch in '([{':
            depth += 1
        elif not tick and ch in ')]}':
            depth = max(0, depth - 1)
        out.append(depth == 0 and not tick)
    return out


def split_summary(text: str, room: int) -> tuple[str, str]:
    """
    Split a too long summary into (summary, rest).

    All of `text` if it fits in `room` columns, else its first sentence, else the text up to the
    last ':' / ';' / ',' outside brackets that fits; the rest starts with a capital. Never inside
    brackets or at a plain space (that would leave half a sentence as the summary): when no such
    cut exists, the text stays whole and the linters name it for a hand-written summary.
    """
    if len(text) <= room:
        return text, ''
    outside = _depth0(text)
    cut = None
    sentence = r"(?<!\be\.g)(?<!\bi\.e)(?<!\betc)(?<!\bvs)(?<!\bcf)[.?!](?=\s+[A-Z`(\"'])"
    for pattern in (sentence, r'[:;](?=\s)|\s-+(?=\s)', r',(?=\s)'):
        ends = [
            m.end() for m in re.finditer(pattern, text) if m.end() <= room and outside[m.start()]
        ]
        if ends:
            cut = ends[0] if pattern.startswith('(?<!') else ends[-1]
            break
    if cut is None:
        return text, ''
    summary, rest = text[:cut].rstrip(' ,;:-'), text[cut:].strip()
    return summary, rest[:1].upper() + rest[1:]


def fix_docstring_body(body: str, indent: str, function: bool = False) -> str:
    """Text between the triple quotes of one docstring -> the same, as ament_pep257 wants it."""
    lines = body.split('\n')
    if len(lines) == 1 or not ''.join(lines[1:]).strip():  # one line of text
        text = _end_with_period(_fix_summary_word(body.strip(), function))
        if len(indent) + 6 + len(text) <= MAX:
            return text
        # D200: must split
        summary, more = split_summary(text[:-1], min(MAX - len(indent) - 1, len(text) - 2))
        lines = [summary + '.', ''] + ([indent + more] if more else [])
    first = [lines[0].strip()] if lines[0].strip() else []
    rest = lines[1:] if first else lines[1:]
    if not first:  # summary already on the second line
        while rest and not rest[0].strip():
            rest.pop(0)
        if not rest:
            return body
        first, rest = [rest[0].strip()], rest[1:]
    para = list(first)
    while rest and rest[0].strip() and not SECTION_RE.match(rest[0]):
        para.append(rest.pop(0).strip())
    summary, more = split_summary(
        _fix_summary_word(' '.join(para), function), MAX - len(indent) - 1
    )
    more = textwrap.wrap(more, MAX - len(indent), break_long_words=False, break_on_hyphens=False)
    out = [indent + _end_with_period(summary)]
    if more:
        out += [''] + [indent + m for m in more]
    if rest and rest[0].strip():
        out.append('')
    out += [line.rstrip() for line in rest]
    # Google-style section headers -> underlined sections with blank lines around (D406, D407,
    # D411, D413).
    out = _reflow(out, indent)
    fixed, seen_section = [], False
    for k, line in enumerate(out):
        m = SECTION_RE.match(line)
        if m and len(fixed) > 1:
            if fixed[-1].strip():
                fixed.append('')
            # numpy names without colon (D406), Google-only names with one (D416)
            name = m.group(2)
            fixed += [
                indent + name + ('' if name in _numpy_sections() else ':'),
                indent + '-' * len(name),
            ]
            seen_section = True
            continue
        if (
            re.fullmatch(r'\s*-+\s*', line)
            and fixed
            and fixed[-1].strip('- ') == ''
            and len(fixed) > 1
            and SECTION_RE.match(fixed[-2] or '')
        ):
            continue  # already underlined
        nxt = out[k + 1] if k + 1 < len(out) else ''
        fixed.extend(
            _wrap_prose(line, indent, out[k - 1] if k else '', nxt, seen_section)
            if line.strip()
            else ['']
        )
    while fixed and not fixed[-1].strip():
        fixed.pop()
    if seen_section:
        fixed.append('')
    return '\n' + '\n'.join(fixed) + '\n' + indent


def fix_docstrings(text: str) -> str:
    tree = ast.parse(text)
    targets = []
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
        ):
            first = node.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                targets.append(
                    (first.value, isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)))
                )
    lines = text.split('\n')
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    for node, function in sorted(
        targets, key=lambda t: (t[0].lineno, t[0].col_offset), reverse=True
    ):
        start = offsets[node.lineno - 1] + len(
            lines[node.lineno - 1].encode()[: node.col_offset].decode()
        )
        end = offsets[node.end_lineno - 1] + len(
            lines[node.end_lineno - 1].encode()[: node.end_col_offset].decode()
        )
        raw = text[start:end]
        m = re.fullmatch(r"([rRuU]?)(\"\"\"|''')(.*)\2", raw, re.S)
        if not m or '\\' in m.group(3) and not m.group(1):
            continue  # one-quote strings and escapes: left as they are
        indent = ' ' * node.col_offset
        body = fix_docstring_body(m.group(3), indent, function)
        text = text[:start] + m.group(1) + '"""' + body + '"""' + text[end:]
    return text


def single_quotes(text: str) -> str:
    """
    Plain and f-string literals in double quotes -> single quotes (flake8-quotes Q000).

    Where the text holds no single quote and no escape of a double quote; docstrings and triple
    quotes untouched.
    """
    lines = text.split('\n')
    for tok in reversed(list(tokenize.generate_tokens(io.StringIO(text).readline))):
        if tok.type != tokenize.STRING or tok.start[0] != tok.end[0]:
            continue
        m = re.fullmatch(r'([A-Za-z]*)"(.*)"', tok.string, re.S)
        if not m or m.group(2).startswith('"') or "'" in m.group(2) or '\\"' in m.group(2):
            continue
        row = tok.start[0] - 1
        line = lines[row]
        lines[row] = line[: tok.start[1]] + f"{m.group(1)}'{m.group(2)}'" + line[tok.end[1]:]
    return '\n'.join(lines)


def builtin_findings(paths: list[str]) -> dict[str, set[tuple[int, str]]]:
    """
    Find flake8-builtins findings under the ament_flake8 configuration.

    Returns path -> {(row, code)}, from one flake8 run.
    """
    import subprocess

    config = (
        Path(__import__('ament_flake8').__file__).parent / 'configuration' / 'ament_flake8.ini'
    )
    out = subprocess.run(
        [
            sys.executable,
            '-m',
            'flake8',
            '--config',
            str(config),
            '--select',
            'A001,A002,A003',
            '--no-show-source',
            '--format',
            '@@ %(path)s %(row)d %(code)s',
            *paths,
        ],
        capture_output=True,
        text=True,
    ).stdout
    found: dict[str, set[tuple[int, str]]] = {}
    for m in re.finditer(r'^@@ (\S+) (\d+) (A00\d)$', out, re.M):
        found.setdefault(str(Path(m.group(1))), set()).add((int(m.group(2)), m.group(3)))
    return found


def add_noqa(text: str, found: set[tuple[int, str]]) -> str:
    """
    Add `# noqa: A00x` on the lines flake8-builtins flags.

    Those names are message fields or fixed by an API (id, format, input); a trailing comment that
    would push the line past 99 columns moves above it.
    """
    lines = text.split('\n')
    for row, code in sorted(found, reverse=True):
        i = row - 1
        hash_at = lines[i].find('  # ')
        has_noqa = re.search(r'#\s*noqa', lines[i]) is not None
        if not has_noqa and hash_at > 0 and len(lines[i]) + 14 > MAX:  # comment above, noqa here
            indent = re.match(r'\s*', lines[i]).group(0)
            comment = lines[i][hash_at:].strip()
            lines[i] = lines[i][:hash_at]
            lines.insert(i, indent + comment)
            i += 1
        if not has_noqa:
            lines[i] = lines[i].rstrip() + f'  # noqa: {code}'
    return '\n'.join(lines)


def class_newlines(text: str) -> str:
    """
    Put a blank line between a class's header (or docstring) and its first statement.

    As flake8-class-newline wants.
    """
    lines = text.split('\n')
    rows = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            body = (
                node.body[1:]
                if isinstance(node.body[0], ast.Expr)
                and isinstance(node.body[0].value, ast.Constant)
                else node.body
            )
            if body:
                first = body[0]
                rows.append(
                    min([first.lineno] + [d.lineno for d in getattr(first, 'decorator_list', [])])
                )
    for row in sorted(set(rows), reverse=True):
        above = lines[row - 2]
        if above.strip() and not above.lstrip().startswith('#'):
            lines.insert(row - 1, '')
    return '\n'.join(lines)


def main(argv: list[str]) -> int:
    mode, files = argv[0], argv[1:]
    year = datetime.date.today().year
    fix = {
        'headers': lambda t: add_header(t, year),
        'comments': fix_comments,
        'docstrings': fix_docstrings,
        'quotes': single_quotes,
        'classes': class_newlines,
        'noqa': None,
    }[mode]
    found = builtin_findings(files) if mode == 'noqa' else {}
    for name in files:
        path = Path(name)
        old = path.read_text()
        new = add_noqa(old, found.get(str(path), set())) if mode == 'noqa' else fix(old)
        if new != old:
            ast.parse(new)  # never write a file that no longer parses
            path.write_text(new)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
