"""Everyday and legal Danish that caseworkers use for the same thing; legal staff edit them in the admin."""

from django.db import migrations

SYNONYMS = {
    "hjemmehjælp": ["praktisk hjælp", "personlig pleje", "personlig og praktisk hjælp"],
    "rengøring": ["praktisk hjælp"],
    "bpa": ["borgerstyret personlig assistance"],
    "hjælper": ["personlig assistance", "hjælperordning"],
    "bilstøtte": ["støtte til køb af bil", "handicapbil", "bevilling af bil"],
    "handicapbil": ["bilstøtte", "støtte til køb af bil"],
    "bil": ["motorkøretøj"],
    "tandlæge": ["tandbehandling", "tandpleje"],
    "tandlægeregning": ["tandbehandling"],
    "tænder": ["tandbehandling", "tandpleje"],
    "briller": ["brilleglas", "synshjælpemiddel"],
    "høreapparat": ["høreapparater", "høretab"],
    "kørestol": ["el-kørestol", "elkørestol", "hjælpemiddel"],
    "el-scooter": ["el-kørestol", "elkørestol"],
    "robotstøvsuger": ["forbrugsgode", "støvsugning"],
    "forbrugsgode": ["forbrugsgoder"],
    "hjælpemiddel": ["hjælpemidler"],
    "merudgift": ["merudgifter", "merudgiftsydelse", "nødvendige merudgifter"],
    "ekstraudgifter": ["merudgifter"],
    "medicin": ["medicinudgifter", "medicintilskud", "lægeordineret medicin"],
    "kost": ["diætkost", "specialkost"],
    "tabt arbejdsfortjeneste": ["tabt indtægt", "løntab"],
    "løntab": ["tabt arbejdsfortjeneste"],
    "pasning af barn": ["tabt arbejdsfortjeneste"],
    "aflastning": ["aflastningsophold", "døgnophold"],
    "anbringelse": ["anbringelse uden for hjemmet", "anbragt barn", "anbragte børn"],
    "plejefamilie": ["anbringelse", "familiepleje"],
    "tvangsfjernelse": ["anbringelse uden samtykke", "anbringelse"],
    "samvær": ["samværsret", "forældrekontakt"],
    "efterværn": ["ungestøtte", "støtte efter det fyldte 18. år"],
    "sygedagpenge": ["dagpenge ved sygdom", "sygedagpengeloven"],
    "syg": ["sygdom", "sygemelding", "sygemeldt"],
    "sygemeldt": ["sygedagpenge"],
    "opfølgning": ["opfølgningssamtale"],
    "revurdering": ["forlængelse af sygedagpenge"],
    "jobafklaring": ["jobafklaringsforløb"],
    "ressourceforløb": ["ressourceforløbsydelse"],
    "fleksjob": ["job på særlige vilkår", "fleksløn"],
    "førtidspension": ["pension", "tilkendelse af førtidspension"],
    "pension": ["førtidspension", "folkepension"],
    "kontanthjælp": ["uddannelseshjælp", "hjælp til forsørgelse", "forsørgelse"],
    "rådighed": ["står til rådighed", "rådighedsforpligtelse"],
    "enkeltydelse": ["hjælp i særlige tilfælde", "hjælp til enkeltudgifter"],
    "flytning": ["flytteudgifter", "flyttehjælp"],
    "flytteudgift": ["flytteudgifter", "flytning"],
    "husleje": ["boligudgift", "huslejerestance"],
    "boligstøtte": ["boligydelse", "boligsikring"],
    "depositum": ["indskud", "beboerindskud"],
    "tilbagebetaling": ["tilbagebetale", "krav om tilbagebetaling", "for meget udbetalt"],
    "opholdskommune": ["handlekommune", "mellemkommunal refusion"],
    "helhedsvurdering": ["konkret og individuel vurdering"],
    "partshøring": ["høring af borgeren"],
    "begrundelse": ["begrundelseskrav"],
    "aktindsigt": ["indsigt i sagen", "se sine papirer"],
    "klagefrist": ["frist for klage", "for sent klaget"],
    "psykisk sårbar": ["psykisk lidelse", "psykiatri", "sindslidelse"],
    "psykiatri": ["psykisk lidelse"],
    "demens": ["demenssygdom", "hukommelsestab"],
    "autisme": ["autismespektrumforstyrrelse", "asperger"],
    "adhd": ["opmærksomhedsforstyrrelse"],
    "misbrug": ["alkoholmisbrug", "stofmisbrug", "misbrugsbehandling"],
    "botilbud": ["bosted", "længerevarende botilbud", "midlertidigt botilbud"],
    "bosted": ["botilbud"],
    "ledsagelse": ["ledsageordning", "ledsager"],
    "krisecenter": ["kvindekrisecenter", "midlertidigt ophold"],
    "genoptræning": ["vedligeholdelsestræning", "træning"],
    "boligindretning": ["boligændring", "indretning af bolig", "ombygning"],
    "trappelift": ["boligindretning", "boligændring"],
    "ferie": ["ferieophold", "rejse"],
    "handicap": ["funktionsnedsættelse", "nedsat funktionsevne"],
    "funktionsnedsættelse": ["handicap", "nedsat funktionsevne"],
    "kommunen": ["myndigheden"],
    "barn": ["børn", "ung"],
    "forældre": ["forælder", "familie"],
}


def seed(apps, schema_editor):
    Synonym = apps.get_model("decisions", "Synonym")
    for term, alternatives in SYNONYMS.items():
        Synonym.objects.update_or_create(term=term, defaults={"alternatives": alternatives})


class Migration(migrations.Migration):
    dependencies = [("decisions", "0006_synonyms")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
