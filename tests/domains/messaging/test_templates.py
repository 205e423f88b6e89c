"""Liquid templates: both languages, the fallback to English, a store's own files, mistakes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tenure.domains.messaging import templates
from tenure.domains.messaging.templates import TemplateInvalid, render
from tenure.kit.errors import NotFound

CONTEXT = {
    "customer": {"name": "Ann <Lee>", "first_name": "Ann"},
    "company": "Acme",
    "unsubscribe_url": "http://shop.test/unsubscribe/1.x",
}
PRESET_TEMPLATES = {
    "lead-welcome",
    "thank-you",
    "second-order-nudge",
    "win-back-offer",
    "win-back-second-offer",
    "referral-invitation",
}


def _write(folder: Path, name: str, lang: str, subject: str, body: str = "body") -> None:
    (folder / f"{name}.{lang}.subject.liquid").write_text(subject, encoding="utf-8")
    (folder / f"{name}.{lang}.html.liquid").write_text(f"<p>{body}</p>", encoding="utf-8")
    (folder / f"{name}.{lang}.txt.liquid").write_text(body, encoding="utf-8")


def test_every_template_a_preset_names_ships_in_both_languages_and_parses() -> None:
    assert set(templates.names()) >= PRESET_TEMPLATES
    for name in PRESET_TEMPLATES:
        for lang in ("en", "zh"):
            for part in templates.PARTS:
                assert templates.find(name, lang, part) is not None, (name, lang, part)
    assert templates.check() == []


def test_english_and_chinese() -> None:
    en = render("win-back-offer", "en", CONTEXT)
    assert en.language == "en"
    assert en.subject == "We miss you, Ann — an offer for you"
    assert "Hi Ann," in en.text
    assert "http://shop.test/unsubscribe/1.x" in en.text
    assert 'href="http://shop.test/unsubscribe/1.x"' in en.html
    zh = render("win-back-offer", "zh", CONTEXT)
    assert zh.language == "zh"
    assert zh.subject == "好久不见，给您准备了一份礼遇"
    assert "Ann <Lee>，您好" in zh.text  # plain text is not escaped …
    assert "Ann &lt;Lee&gt;，您好" in zh.html  # … the HTML part is


def test_missing_variables_render_empty_and_a_language_we_lack_falls_back_to_english() -> None:
    rendered = render("lead-welcome", "fr", {})
    assert rendered.language == "en"
    assert rendered.subject == "Welcome to , there"
    assert "Unsubscribe from these emails: \n" in rendered.text


def test_a_store_s_file_overrides_the_shipped_one_and_adds_templates(tmp_path: Path) -> None:
    _write(tmp_path, "win-back-offer", "en", "Come back, {{ customer.first_name }}!")
    _write(tmp_path, "spring-sale", "en", "Spring at {{ company }}")
    assert render("win-back-offer", "en", CONTEXT, templates_dir=tmp_path).subject == (
        "Come back, Ann!"
    )
    # the store overrode only English: Chinese is still the shipped one
    zh = render("win-back-offer", "zh", CONTEXT, templates_dir=tmp_path)
    assert zh.subject == "好久不见，给您准备了一份礼遇"
    # a template of its own in English only: a Chinese reader gets the English one
    sale = render("spring-sale", "zh", CONTEXT, templates_dir=tmp_path)
    assert (sale.language, sale.subject) == ("en", "Spring at Acme")
    assert "spring-sale" in templates.names(tmp_path)


def test_an_unknown_template_is_not_found() -> None:
    with pytest.raises(NotFound, match="no email template 'nope'"):
        render("nope", "en", CONTEXT)


def test_a_syntax_error_is_refused_with_its_file_and_line(tmp_path: Path) -> None:
    _write(tmp_path, "broken", "en", "Hello")
    (tmp_path / "broken.en.txt.liquid").write_text("line one\nline two\n{% if %}yes{% endif %}\n")
    with pytest.raises(TemplateInvalid) as caught:
        render("broken", "en", CONTEXT, templates_dir=tmp_path)
    assert caught.value.path == tmp_path / "broken.en.txt.liquid"
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{tmp_path / 'broken.en.txt.liquid'}, line 3: ")
    assert [m.line for m in templates.check(tmp_path)] == [3]


def test_an_unknown_filter_is_refused_even_on_a_branch_not_taken(tmp_path: Path) -> None:
    _write(tmp_path, "filtered", "en", "Hello")
    (tmp_path / "filtered.en.html.liquid").write_text(
        "<p>one</p>\n{% if false %}\n{{ customer.name | shout }}\n{% endif %}\n"
    )
    with pytest.raises(TemplateInvalid, match=r"filtered.en.html.liquid, line 3: .*'shout'"):
        render("filtered", "en", CONTEXT, templates_dir=tmp_path)


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    _write(tmp_path, "half", "en", "Hello")
    (tmp_path / "half.en.html.liquid").unlink()
    with pytest.raises(TemplateInvalid, match="the html part is missing"):
        render("half", "en", CONTEXT, templates_dir=tmp_path)


def test_liquid_cannot_reach_into_python(tmp_path: Path) -> None:
    class Secretive:
        password = "hunter2"  # noqa: S105

    _write(tmp_path, "nosy", "en", "{{ customer.password }}", "{{ customer.__class__ }}")
    rendered = render("nosy", "en", {"customer": Secretive()}, templates_dir=tmp_path)
    assert (rendered.subject, rendered.text) == ("", "")
