from decisions.templatetags.decision_text import decision_text


def test_short_lines_of_their_own_become_subheadings_and_the_rest_paragraphs():
    text = (
        "Sagens omstændigheder\n\nEn kvinde søgte om hjælp.\nHun fik afslag.\n\n"
        "Regler\n\nEfter § 100: se nedenfor."
    )

    assert decision_text(text) == (
        "<h3>Sagens omstændigheder</h3>\n<p>En kvinde søgte om hjælp.<br>Hun fik afslag.</p>\n"
        "<h3>Regler</h3>\n<p>Efter § 100: se nedenfor.</p>"
    )


def test_decision_text_is_escaped():
    assert decision_text("<script>alert(1)</script>\n\nTekst & mere.") == (
        "<h3>&lt;script&gt;alert(1)&lt;/script&gt;</h3>\n<p>Tekst &amp; mere.</p>"
    )
