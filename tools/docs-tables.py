#!/usr/bin/env python3
"""Rewrites the generated tables of the docs from the cnnc command's own output, so they are never hand-kept.

A generated block in a Markdown file is
    <!-- generated: cnnc zoo list -->
    ```
    ...the command's standard output...
    ```
and this script replaces what is between the fences with the output of `tools/cnnc zoo list` (any cnnc arguments after
"generated: cnnc"). tests/Cnnc.Cli.Tests/DocsTablesTests.cs checks the committed blocks equal the output.
Run from anywhere: python3 tools/docs-tables.py
"""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = [os.path.join(ROOT, "docs", "models-and-weights.md")]
BLOCK = re.compile(r"(<!-- generated: cnnc (?P<args>[^>]*?) -->\n```\n)(?P<body>.*?)(```\n)", re.S)


def main() -> None:
    for path in DOCS:
        with open(path) as f:
            text = f.read()

        def regenerate(m: re.Match) -> str:
            args = m.group("args").split()
            out = subprocess.run(["bash", os.path.join(ROOT, "tools", "cnnc"), *args], check=True,
                                 capture_output=True, text=True).stdout
            print(f"{os.path.relpath(path, ROOT)}: cnnc {' '.join(args)} ({out.count(chr(10))} lines)")
            return m.group(1) + out + m.group(4)

        text = BLOCK.sub(regenerate, text)
        with open(path, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
