"""Every error sentence the code raises has a 中文 form (kit/error_words.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tenure.kit import error_words
from tenure.kit.error_words import ZH, choose, say

SRC = Path(error_words.__file__).parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")
# what the code raises to say what went wrong to a person (the API, a page, the CLI)
RAISED = {"NotFound", "Conflict", "InvalidInput", "Forbidden", "OutOfScope", "TenureError"}


def _pattern(node: ast.expr) -> str | None:
    """The sentence as ``ZH`` keys it: an f-string's values written ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
    return None  # built elsewhere (a constant, a function): listed by hand in ZH


def _raised_sentences() -> dict[str, str]:
    """Every error sentence in the source, with where it is."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            said = node.args[-1] if name == "HTTPException" else node.args[0]
            if name in RAISED or name == "HTTPException":
                pattern = _pattern(said)
                # "{}: {}" and the like carry no words of their own
                if pattern is not None and re.search(r"[A-Za-z]", pattern.replace("{}", "")):
                    found.setdefault(pattern, f"{path.relative_to(SRC)}:{node.lineno}")
    return found


def test_every_error_sentence_the_code_raises_has_a_chinese_form() -> None:
    sentences = _raised_sentences()
    assert len(sentences) > 150  # the reading finds them (174 when written)
    missing = {s: where for s, where in sentences.items() if s not in ZH}
    assert not missing, f"no 中文 in kit/error_words.py for: {missing}"


def test_every_chinese_form_is_chinese_and_puts_back_every_value() -> None:
    for english, chinese in ZH.items():
        assert CJK.search(chinese) or "：" in chinese, english  # "answers.{0}：{1}"
        slots = sorted(int(n) for n in re.findall(r"\{(\d+)\}", chinese))
        assert slots == list(range(english.count("{}"))), english


def test_sentences_are_said_in_chinese_with_their_values() -> None:
    assert say("no customer with id 987654", "zh") == "没有 id 为 987654 的客户"
    assert say("no customer with id 987654", "en") == "no customer with id 987654"
    assert say("no customer with id 987654", None) == "no customer with id 987654"
    # a value that is itself a sentence; several problems joined by "; "; "where: what"
    assert say("password: a password needs at least 12 characters", "zh") == (
        "密码：密码至少需要 12 个字符"
    )
    assert say("body.name: Field required; query.limit: Input should be a valid integer", "zh") == (
        "body.name：缺少此字段；query.limit：应为有效整数"
    )
    assert say("rows.3.kind: Field required", "zh") == "rows.3.kind：缺少此字段"
    # the most specific pattern wins over a shorter one that matches too
    assert say("customer 7: in the suppression segment 'vip'", "zh") == (
        "客户 7：在排除分群 'vip' 中"
    )
    assert say("something nobody wrote down", "zh") == "something nobody wrote down"


def test_the_language_is_the_first_one_asked_for() -> None:
    assert choose(None, None, accept_language="zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert choose("en", None, accept_language="zh-CN") == "en"
    assert choose(None, "zh", accept_language="en-GB") == "zh"
    assert choose("fr", None, accept_language=None) == "en"
