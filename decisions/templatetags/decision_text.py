import re

from django import template
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

HEADING_MAX = 60


@register.filter
def decision_text(text: str) -> SafeString:
    """Paragraphs separated by blank lines; a short line of its own without a full stop
    (“Sagens omstændigheder”, “Regler”) becomes a subheading."""
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text or "") if block.strip()]
    parts = []
    for block in blocks:
        heading = "\n" not in block and len(block) <= HEADING_MAX and not re.search(r"[.:;!?)]$", block)
        tag = "h3" if heading else "p"
        parts.append((tag, mark_safe(conditional_escape(block).replace("\n", "<br>")), tag))  # noqa: S308
    return format_html_join("\n", "<{}>{}</{}>", parts)
