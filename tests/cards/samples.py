"""Realistic sample cards and forms for the renderer tests, the golden files and cardcheck.

They mirror what the handlers send (account team, service desk, escalation form, the
help menu) and add the awkward cases real data brings: French text with accents,
``<`` and ``&`` in user text, a paragraph longer than one Slack section, more buttons
than Teams shows in one row. Functions return fresh objects, so no test can change
what another one sees.
"""

from __future__ import annotations

from cards.model import (
    Button,
    Card,
    Choice,
    Contact,
    Divider,
    Fields,
    Form,
    Note,
    SelectInput,
    Style,
    Text,
    TextInput,
)

PORTAL = "https://portal.example.com/am11/orders?site=AM11&view=open"


def account_team() -> Card:
    """The ``team`` card: four contacts, a note, four buttons (one link, one primary)."""
    return Card(
        title="Your account team for Acme Logistics B.V.",
        blocks=(
            Contact(
                role="Account manager",
                name="Sanne de Vries",
                email="sanne.devries@example.com",
                phone="+31 20 555 0101",
                about="Contract, pricing, extra space or power, and anything you are not sure who to ask.",
            ),
            Contact(
                role="Customer success manager",
                name="Pieter Jansen",
                email="pieter.jansen@example.com",
                phone="+31 20 555 0102",
                about="Your onboarding plan, **access dates** and site visits.",
            ),
            Contact(
                role="Sales engineer",
                name="Amira El Idrissi",
                email="amira.elidrissi@example.com",
                phone="+31 20 555 0103",
                about="Cross-connects, cabinet layout and power design.",
            ),
            Contact(
                role="Billing analyst",
                name="Lotte Bakker",
                email="lotte.bakker@example.com",
                phone="+31 20 555 0104",
                about="Invoices, purchase orders and billing contacts.",
            ),
            Note("Until access opens on **1 March 2027**, your account team is the way in for everything."),
        ),
        buttons=(
            Button("Service desk", "gsd.show"),
            Button("Customer portal", url=PORTAL),
            Button("Escalate", "escalate.open", {"account": "acme-logistics"}, style=Style.PRIMARY),
            Button("Help", "help.show"),
        ),
        fallback="Your account team for Acme Logistics B.V.: Sanne de Vries (account manager) and three more contacts.",
    )


def service_desk() -> Card:
    """The ``gsd`` card: text with bold and a link, fields, notes and a divider."""
    return Card(
        title="Global Service Desk",
        blocks=(
            Text(
                "Access for **Acme Logistics B.V.** opens on **1 March 2027**. Until then, "
                "please go through your account team; see [how access works](https://docs.example.com/am11/access)."
            ),
            Fields(
                (
                    ("Phone", "+31 20 555 0000 (24/7)"),
                    ("Email", "[servicedesk@example.com](mailto:servicedesk@example.com)"),
                    ("Hours", "24 hours a day, 7 days a week"),
                    ("Language", "English, Dutch & French"),
                )
            ),
            Text(
                "The desk handles **remote hands**, smart hands, deliveries, visitor access and incidents.\n"
                "For an outage, call: a ticket alone is not enough."
            ),
            Divider(),
            Note("Keep your **PIN** at hand: the desk asks for it before any change on your equipment."),
            Note("Updated 26 Nov 2026, 09:30 CET"),
        ),
        buttons=(
            Button("Account team", "team.show"),
            Button("Customer portal", url=PORTAL),
            Button("Escalate", "escalate.open", {"account": "acme-logistics"}, style=Style.PRIMARY),
        ),
        fallback="Global Service Desk: +31 20 555 0000, servicedesk@example.com (24/7).",
    )


def help_menu() -> Card:
    """Eight buttons: more than Teams shows in one action row, two Slack rows."""
    return Card(
        title="What can I help you with?",
        blocks=(Text("Pick a topic, or type a question in your own words."),),
        buttons=(
            Button("Account team", "team.show"),
            Button("Service desk", "gsd.show"),
            Button("Customer portal (ECP)", "ecp.show"),
            Button("Site access & badges", "access.show"),
            Button("Shipping & deliveries", "deliveries.show"),
            Button("Escalate an issue", "escalate.open", {"account": "acme-logistics"}, style=Style.PRIMARY),
            Button("Passer en français", "lang.set", {"lang": "fr"}),
            Button("Cancel onboarding", "onboarding.cancel", {"account": "acme-logistics"}, style=Style.DANGER),
        ),
        fallback="Help: account team, service desk, portal, access, deliveries, escalation.",
    )


_FR_PARAGRAPHS = (
    "Bienvenue chez **AM11 Amsterdam**, Globex Media SAS ! Voici l'essentiel pour vos premières semaines "
    "sur le site : accès, livraisons, interventions & contacts.",
    "**Accès au site.** L'accès de vos équipes ouvre le **1er septembre 2026**. Chaque visiteur doit être "
    "déclaré au moins 24 h à l'avance dans le portail client ; une pièce d'identité officielle est demandée "
    "à l'accueil. Les badges permanents sont nominatifs et ne se prêtent pas. Un délai < 48 h n'est accepté "
    "que pour une intervention urgente validée par le Service Desk.",
    "**Livraisons.** Indiquez sur chaque colis le nom de votre société, la référence de commande et la "
    "mention « AM11 – Quai de réception ». Les colis > 30 kg ou hors gabarit doivent être annoncés ; le quai "
    "est ouvert du lundi au vendredi de 8 h à 17 h. Les emballages (carton, polystyrène & palettes) ne "
    "doivent jamais entrer en salle : déballez-les dans la zone prévue à cet effet.",
    "**Interventions.** Les demandes de « remote hands » (redémarrage, vérification visuelle, remplacement "
    "d'un module SFP) se font par ticket ou par téléphone. Pour une panne, appelez : un ticket seul ne suffit "
    "pas. Précisez toujours la baie, l'unité (U) et le numéro de série de l'équipement concerné.",
    "**Sécurité.** Les portes des cages restent fermées en permanence, les travaux à chaud sont interdits sans "
    "permis, et toute photo dans les salles nécessite l'accord écrit du site. Les règles complètes sont "
    "dans le [règlement intérieur](https://docs.example.com/am11/fr/reglement?lang=fr&version=3).",
)


def long_french() -> Card:
    """French text longer than one Slack section (3000 characters), with accents,
    ``<``, ``>``, ``&`` and a URL with a query string; a single paragraph that is
    itself over 3000 characters; a French contact."""
    long_paragraph = " ".join(
        f"Étape {i} : vérifiez l'accès, les livraisons & les badges (délai < 48 h) avant de passer à la suite."
        for i in range(1, 33)
    )
    return Card(
        title="Bienvenue chez AM11 Amsterdam — tout ce qu'il faut savoir avant votre première intervention sur le site",
        blocks=(
            Text("\n\n".join(_FR_PARAGRAPHS)),
            Divider(),
            Fields(
                (
                    ("Ouverture des accès", "1er septembre 2026"),
                    ("Quai de réception", "Lun.–ven., 8 h – 17 h"),
                    ("Service Desk", "+31 20 555 0000"),
                    ("Langues", "Français, anglais & néerlandais"),
                )
            ),
            Contact(
                role="Chargée de clientèle",
                name="Camille Laurent",
                email="camille.laurent@example.com",
                phone="+31 20 555 0201",
                about="Contrat, tarifs, espace ou puissance supplémentaires — et tout ce dont vous n'êtes pas sûr.",
            ),
            Text(long_paragraph),
            Note("Dernière mise à jour : 26 nov. 2026 à 09 h 30. Réf. <AM11-FR-001> & annexes."),
        ),
        buttons=(
            Button("Équipe de compte", "team.show"),
            Button("Service Desk", "gsd.show"),
            Button("Règlement intérieur", url="https://docs.example.com/am11/fr/reglement?lang=fr&version=3"),
        ),
        fallback="Bienvenue chez AM11 Amsterdam : accès le 1er septembre 2026, Service Desk +31 20 555 0000.",
    )


def escalation_form() -> Form:
    """The escalation form: four inputs (text with limit, select with default,
    optional multiline, optional phone) and data that must come back."""
    return Form(
        title="Escalate an issue",
        action="escalate.submit",
        inputs=(
            TextInput("subject", "Subject", placeholder="e.g. Cross-connect XC-1042 still not delivered", max_length=150),
            SelectInput(
                "urgency",
                "How urgent is it?",
                (
                    Choice("low", "Low: this week is fine"),
                    Choice("normal", "Normal: within two working days"),
                    Choice("high", "High: blocks our go-live"),
                    Choice("critical", "Critical: service down"),
                ),
                initial="normal",
            ),
            TextInput(
                "details",
                "What happened so far?",
                placeholder="Ticket numbers, dates, who you spoke to…",
                multiline=True,
                required=False,
                max_length=3000,
            ),
            TextInput("callback", "Phone number for a call back", initial="+31 6 1234 5678", required=False),
        ),
        submit_label="Send to account team",
        cancel_label="Cancel",
        intro="Your **account manager** gets this at once and answers within one working day.",
        data={"account": "acme-logistics", "source": "team.card"},
    )


def french_form() -> Form:
    """A French form whose title and submit label are longer than Slack's 24
    characters, and a select without a default."""
    return Form(
        title="Demander une escalade auprès de l'équipe",
        action="escalate.submit",
        inputs=(
            TextInput("subject", "Objet", placeholder="p. ex. Cross-connect XC-1042 toujours pas livré", max_length=150),
            SelectInput(
                "urgency",
                "Quelle urgence ?",
                (Choice("low", "Faible"), Choice("normal", "Normale"), Choice("high", "Élevée")),
            ),
        ),
        submit_label="Envoyer à l'équipe de compte",
        cancel_label="Annuler",
        data={"account": "globex-media"},
    )


def sample_cards() -> dict[str, Card]:
    """Every sample card by name; names are file names for golden files and dumps."""
    return {
        "account_team": account_team(),
        "service_desk": service_desk(),
        "help_menu": help_menu(),
        "long_french": long_french(),
    }


def sample_forms() -> dict[str, Form]:
    """Every sample form by name."""
    return {"escalation_form": escalation_form(), "french_form": french_form()}


def sample_homes() -> dict[str, tuple[Card, ...]]:
    """App Home contents by name: several cards in one view."""
    return {"home": (account_team(), service_desk())}
