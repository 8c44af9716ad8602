"""Path converters for the site's addresses: a path segment that does not look like what it names
never reaches a view (404), so a NUL or "²" cannot reach the database through the path."""


class SectionConverter:
    """A paragraph's section as cited: `100`, `9c`, `9 c`, `9C` (views redirect to the canonical form)."""

    regex = r"[0-9]{1,5}(?: ?[a-zA-ZæøåÆØÅ]{1,2})?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
