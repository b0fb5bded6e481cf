"""Notification texts in German, English, French and Italian. Plain words, short sentences.

Each event has a ``title`` (e-mail subject, push title) and a ``body`` (paragraphs separated by a
blank line; the first paragraph is the push body and the SMS). A role-specific text is keyed
``"event:role"``. ``render`` fills in the tenant's name and branding and returns every channel's
form. No AWS import.
"""
from __future__ import annotations

import html as _html
import string

LANGS = ("de", "en", "fr", "it")

CATEGORY_LABELS = {
    "computer": {"de": "Computer", "en": "computer", "fr": "ordinateur", "it": "computer"},
    "printer": {"de": "Drucker", "en": "printer", "fr": "imprimante", "it": "stampante"},
    "phone_tablet": {"de": "Handy/Tablet", "en": "phone/tablet", "fr": "téléphone/tablette", "it": "telefono/tablet"},
    "internet_wifi": {"de": "Internet/WLAN", "en": "internet/Wi-Fi", "fr": "internet/Wi-Fi", "it": "internet/Wi-Fi"},
    "tv": {"de": "Fernseher", "en": "TV", "fr": "télévision", "it": "televisore"},
    "smart_home": {"de": "Smart Home", "en": "smart home", "fr": "maison connectée", "it": "casa intelligente"},
    "other": {"de": "Technik", "en": "technology", "fr": "technique", "it": "tecnologia"},
}

FRAME = {
    "de": {"hello": "Guten Tag", "bye": "Ihr {tenant}-Team", "link": "Details: {url}"},
    "en": {"hello": "Hello", "bye": "Your {tenant} team", "link": "Details: {url}"},
    "fr": {"hello": "Bonjour", "bye": "Votre équipe {tenant}", "link": "Détails : {url}"},
    "it": {"hello": "Buongiorno", "bye": "Il suo team {tenant}", "link": "Dettagli: {url}"},
}

RECEIPT = {
    "de": {"minutes": "Arbeitszeit: {minutes} Minuten", "items": "Posten:", "total": "Total",
           "pending": "Ihre Quittung mit dem belasteten Betrag folgt in einer eigenen E-Mail.",
           "cap": "Höchstens {cap}, wie bei der Buchung vereinbart.",
           "charged": "Total belastet", "released": "Auf Ihrer Karte freigegeben (nicht belastet): {released}",
           "codes": {"time": "Hilfe", "travel": "Anfahrt (Pauschale)", "part": "Material", "tip": "Trinkgeld",
                     "cap_reduction": "Reduziert auf das vereinbarte Limit"}},
    "en": {"minutes": "Time worked: {minutes} minutes", "items": "Items:", "total": "Total",
           "pending": "Your receipt with the amount charged follows in a separate e-mail.",
           "cap": "At most {cap}, as agreed when you booked.",
           "charged": "Total charged", "released": "Released on your card (not charged): {released}",
           "codes": {"time": "Help", "travel": "Travel (flat fee)", "part": "Part", "tip": "Tip",
                     "cap_reduction": "Reduced to the limit you agreed"}},
    "fr": {"minutes": "Temps de travail : {minutes} minutes", "items": "Postes :", "total": "Total",
           "pending": "Votre reçu avec le montant débité suit dans un e-mail séparé.",
           "cap": "Au maximum {cap}, comme convenu lors de la réservation.",
           "charged": "Total débité", "released": "Libéré sur votre carte (non débité) : {released}",
           "codes": {"time": "Aide", "travel": "Déplacement (forfait)", "part": "Matériel", "tip": "Pourboire",
                     "cap_reduction": "Réduit à la limite convenue"}},
    "it": {"minutes": "Tempo di lavoro: {minutes} minuti", "items": "Voci:", "total": "Totale",
           "pending": "La sua ricevuta con l'importo addebitato segue in un'e-mail separata.",
           "cap": "Al massimo {cap}, come concordato alla prenotazione.",
           "charged": "Totale addebitato", "released": "Sbloccato sulla sua carta (non addebitato): {released}",
           "codes": {"time": "Aiuto", "travel": "Trasferta (forfait)", "part": "Materiale", "tip": "Mancia",
                     "cap_reduction": "Ridotto al limite concordato"}},
}

RATING = {
    "de": {"rated": "Bewertung {avg} von 5 ({count} Bewertungen)", "new": "Neu bei {tenant}"},
    "en": {"rated": "Rated {avg} out of 5 ({count} reviews)", "new": "New at {tenant}"},
    "fr": {"rated": "Note {avg} sur 5 ({count} avis)", "new": "Nouveau chez {tenant}"},
    "it": {"rated": "Valutazione {avg} su 5 ({count} recensioni)", "new": "Nuovo su {tenant}"},
}

CANCEL_FEE = {
    "de": {"fee": "Für die Stornierung belasten wir Ihrer Karte {fee}; der Betrag geht an die Person, die schon zugesagt hatte.",
           "free": "Die Stornierung ist kostenlos: Ihre Karte wird nicht belastet."},
    "en": {"fee": "For cancelling we charge {fee} to your card; it goes to the helper who had already said yes.",
           "free": "Cancelling is free: your card is not charged."},
    "fr": {"fee": "Pour l'annulation, nous débitons {fee} sur votre carte ; ce montant revient à la personne qui avait accepté.",
           "free": "L'annulation est gratuite : votre carte n'est pas débitée."},
    "it": {"fee": "Per l'annullamento addebitiamo {fee} sulla sua carta; l'importo va alla persona che aveva già accettato.",
           "free": "L'annullamento è gratuito: la sua carta non viene addebitata."},
}

PHOTO = {"de": "Foto: {photo_url}", "en": "Photo: {photo_url}", "fr": "Photo : {photo_url}",
         "it": "Foto: {photo_url}"}

TEXTS: dict[str, dict[str, dict[str, str]]] = {
    "booking_received": {
        "de": {"title": "Wir haben Ihre Anfrage ({ref})",
               "body": "Wir suchen jetzt eine Helferin oder einen Helfer für Ihr Problem mit: {category}.\n\n"
                       "Sie bekommen eine Nachricht, sobald jemand zusagt."},
        "en": {"title": "We have your request ({ref})",
               "body": "We are now looking for a helper for your {category} problem.\n\n"
                       "You will hear from us as soon as someone says yes."},
        "fr": {"title": "Nous avons reçu votre demande ({ref})",
               "body": "Nous cherchons maintenant une aide pour votre problème : {category}.\n\n"
                       "Vous recevez un message dès que quelqu'un accepte."},
        "it": {"title": "Abbiamo ricevuto la sua richiesta ({ref})",
               "body": "Ora cerchiamo un aiutante per il suo problema: {category}.\n\n"
                       "Riceverà un messaggio appena qualcuno accetta."},
    },
    "offer": {
        "de": {"title": "Neuer Auftrag: {category} in {area}",
               "body": "Ein Auftrag wartet auf Sie: {category} in {area}. Bitte antworten Sie bis {expires}.\n\n"
                       "Annehmen: {accept_url}"},
        "en": {"title": "New job: {category} in {area}",
               "body": "A job is waiting for you: {category} in {area}. Please answer by {expires}.\n\n"
                       "Accept: {accept_url}"},
        "fr": {"title": "Nouvelle mission : {category} à {area}",
               "body": "Une mission vous attend : {category} à {area}. Merci de répondre avant {expires}.\n\n"
                       "Accepter : {accept_url}"},
        "it": {"title": "Nuovo incarico: {category} a {area}",
               "body": "Un incarico la aspetta: {category} a {area}. Risponda entro le {expires}.\n\n"
                       "Accettare: {accept_url}"},
    },
    "offer_withdrawn": {
        "de": {"title": "Auftrag vergeben ({ref})", "body": "Der Auftrag in {area} ist nicht mehr offen. Danke!"},
        "en": {"title": "Job no longer open ({ref})", "body": "The job in {area} is no longer open. Thank you!"},
        "fr": {"title": "Mission plus disponible ({ref})", "body": "La mission à {area} n'est plus disponible. Merci !"},
        "it": {"title": "Incarico non più aperto ({ref})", "body": "L'incarico a {area} non è più aperto. Grazie!"},
    },
    "helper_assigned": {
        "de": {"title": "{helper_first_name} hilft Ihnen",
               "body": "{helper_first_name} kommt voraussichtlich um {arrival}. {rating}.\n\n{photo}"},
        "en": {"title": "{helper_first_name} will help you",
               "body": "{helper_first_name} is expected at {arrival}. {rating}.\n\n{photo}"},
        "fr": {"title": "{helper_first_name} va vous aider",
               "body": "{helper_first_name} arrive vers {arrival}. {rating}.\n\n{photo}"},
        "it": {"title": "{helper_first_name} la aiuterà",
               "body": "{helper_first_name} arriva verso le {arrival}. {rating}.\n\n{photo}"},
    },
    "helper_on_the_way": {
        "de": {"title": "{helper_first_name} ist unterwegs", "body": "{helper_first_name} ist jetzt unterwegs zu Ihnen. Ankunft etwa um {arrival}."},
        "en": {"title": "{helper_first_name} is on the way", "body": "{helper_first_name} is on the way to you now. Arrival at about {arrival}."},
        "fr": {"title": "{helper_first_name} est en route", "body": "{helper_first_name} est en route vers vous. Arrivée vers {arrival}."},
        "it": {"title": "{helper_first_name} è in viaggio", "body": "{helper_first_name} sta venendo da lei. Arrivo verso le {arrival}."},
    },
    "booking_completed": {
        "de": {"title": "Erledigt ({ref})", "body": "{helper_first_name} hat den Auftrag abgeschlossen.\n\n{receipt}"},
        "en": {"title": "Done ({ref})", "body": "{helper_first_name} has finished the job.\n\n{receipt}"},
        "fr": {"title": "Terminé ({ref})", "body": "{helper_first_name} a terminé la mission.\n\n{receipt}"},
        "it": {"title": "Fatto ({ref})", "body": "{helper_first_name} ha concluso l'incarico.\n\n{receipt}"},
    },
    "payment_receipt": {
        "de": {"title": "Ihre Quittung ({ref})", "body": "Vielen Dank. Das haben wir Ihrer Karte belastet:\n\n{receipt}"},
        "en": {"title": "Your receipt ({ref})", "body": "Thank you. This is what we charged to your card:\n\n{receipt}"},
        "fr": {"title": "Votre reçu ({ref})", "body": "Merci. Voici ce que nous avons débité sur votre carte :\n\n{receipt}"},
        "it": {"title": "La sua ricevuta ({ref})", "body": "Grazie. Ecco cosa abbiamo addebitato sulla sua carta:\n\n{receipt}"},
    },
    "payment_link": {
        "de": {"title": "Bitte Karte angeben, damit wir kommen ({ref})", "body": "Sie haben über {tenant} Hilfe angefragt ({category}). Bitte geben Sie in den nächsten {minutes_left} Minuten Ihre Karte an: erst dann schicken wir jemanden.\n\nReserviert werden höchstens {amount}. Belastet wird erst nach dem Besuch, und nur was er gekostet hat.\n\nKarte angeben: {pay_url}"},
        "en": {"title": "Please add your card so we can come ({ref})", "body": "You asked for help through {tenant} ({category}). Please add your card within the next {minutes_left} minutes: only then do we send someone.\n\nAt most {amount} is reserved. Your card is charged only after the visit, and only what it cost.\n\nAdd your card: {pay_url}"},
        "fr": {"title": "Indiquez votre carte pour que nous venions ({ref})", "body": "Vous avez demandé de l'aide via {tenant} ({category}). Indiquez votre carte dans les {minutes_left} prochaines minutes : c'est seulement alors que nous envoyons quelqu'un.\n\nAu plus {amount} sont réservés. Votre carte n'est débitée qu'après la visite, et seulement de ce qu'elle a coûté.\n\nIndiquer la carte : {pay_url}"},
        "it": {"title": "Indichi la sua carta perché possiamo venire ({ref})", "body": "Ha chiesto aiuto tramite {tenant} ({category}). Indichi la sua carta entro {minutes_left} minuti: solo allora mandiamo qualcuno.\n\nViene riservato al massimo {amount}. La carta viene addebitata solo dopo la visita, e solo per quanto è costata.\n\nIndicare la carta: {pay_url}"},
    },
    "extra_approval_requested": {
        "de": {"title": "Bitte bestätigen: {amount} mehr ({ref})",
               "body": "{helper_first_name} braucht mehr als vereinbart und bittet Sie, bis zu {amount} mehr zu erlauben.\n\n"
                       "Grund: {reason}\n\nNeues Limit: {new_limit}. Ohne Ihre Zustimmung bleibt es beim bisherigen Limit.\n\n"
                       "Bitte öffnen Sie die Buchung und wählen Sie Ja oder Nein."},
        "en": {"title": "Please confirm: {amount} more ({ref})",
               "body": "{helper_first_name} needs more than agreed and asks you to allow up to {amount} more.\n\n"
                       "Reason: {reason}\n\nNew limit: {new_limit}. Without your approval the old limit stays.\n\n"
                       "Please open the booking and choose yes or no."},
        "fr": {"title": "Merci de confirmer : {amount} de plus ({ref})",
               "body": "{helper_first_name} a besoin de plus que convenu et vous demande d'autoriser jusqu'à {amount} de plus.\n\n"
                       "Motif : {reason}\n\nNouvelle limite : {new_limit}. Sans votre accord, l'ancienne limite reste.\n\n"
                       "Ouvrez la réservation et choisissez oui ou non."},
        "it": {"title": "Conferma per favore: {amount} in più ({ref})",
               "body": "{helper_first_name} ha bisogno di più del previsto e le chiede di permettere fino a {amount} in più.\n\n"
                       "Motivo: {reason}\n\nNuovo limite: {new_limit}. Senza il suo consenso resta il limite precedente.\n\n"
                       "Apra la prenotazione e scelga sì o no."},
    },
    "extra_approval_approved": {
        "de": {"title": "Zugestimmt: {amount} mehr ({ref})", "body": "Die Kundschaft erlaubt {amount} mehr. Neues Limit: {new_limit}."},
        "en": {"title": "Approved: {amount} more ({ref})", "body": "The customer allows {amount} more. New limit: {new_limit}."},
        "fr": {"title": "Accepté : {amount} de plus ({ref})", "body": "Le client autorise {amount} de plus. Nouvelle limite : {new_limit}."},
        "it": {"title": "Approvato: {amount} in più ({ref})", "body": "Il cliente permette {amount} in più. Nuovo limite: {new_limit}."},
    },
    "extra_approval_declined": {
        "de": {"title": "Abgelehnt: {amount} mehr ({ref})", "body": "Die Kundschaft erlaubt nicht mehr. Es bleibt beim Limit von {from_limit}."},
        "en": {"title": "Declined: {amount} more ({ref})", "body": "The customer does not allow more. The limit stays at {from_limit}."},
        "fr": {"title": "Refusé : {amount} de plus ({ref})", "body": "Le client n'autorise pas plus. La limite reste à {from_limit}."},
        "it": {"title": "Rifiutato: {amount} in più ({ref})", "body": "Il cliente non permette di più. Il limite resta {from_limit}."},
    },
    "review_request": {
        "de": {"title": "Wie hat {helper_first_name} geholfen?", "body": "Bitte sagen Sie uns, wie es war. Es dauert eine Minute.\n\nBewerten: {review_url}"},
        "en": {"title": "How did {helper_first_name} help?", "body": "Please tell us how it went. It takes one minute.\n\nRate: {review_url}"},
        "fr": {"title": "Comment s'est passée votre visite avec {helper_first_name} ?", "body": "Dites-nous comment cela s'est passé. Cela prend une minute.\n\nÉvaluer : {review_url}"},
        "it": {"title": "Com'è andata la visita con {helper_first_name}?", "body": "Ci dica com'è andata. Ci vuole un minuto.\n\nValutare: {review_url}"},
    },
    "no_helper_found": {
        "de": {"title": "Leider niemand gefunden ({ref})", "body": "Leider hat niemand Zeit für Ihren Auftrag. Ihre Karte wird nicht belastet.\n\nWir melden uns bei Ihnen."},
        "en": {"title": "Sorry, no helper found ({ref})", "body": "Sorry, no helper is free for your request. Your card will not be charged.\n\nWe will contact you."},
        "fr": {"title": "Désolé, personne de trouvé ({ref})", "body": "Désolé, personne n'est libre pour votre demande. Votre carte ne sera pas débitée.\n\nNous vous contactons."},
        "it": {"title": "Purtroppo nessun aiutante ({ref})", "body": "Purtroppo nessuno è libero per la sua richiesta. La sua carta non verrà addebitata.\n\nLa contatteremo."},
    },
    "no_helper_found:ops": {
        "de": {"title": "Keine Vermittlung: {ref}", "body": "Für Buchung {booking_id} ({category}, {area}) wurde nach {rounds} Runden niemand gefunden. Bitte Kundin/Kunde kontaktieren."},
        "en": {"title": "Unmatched booking: {ref}", "body": "Booking {booking_id} ({category}, {area}) found no helper after {rounds} rounds. Please contact the customer."},
        "fr": {"title": "Réservation sans aide : {ref}", "body": "La réservation {booking_id} ({category}, {area}) n'a trouvé personne après {rounds} tours. Merci de contacter le client."},
        "it": {"title": "Prenotazione senza aiutante: {ref}", "body": "La prenotazione {booking_id} ({category}, {area}) non ha trovato nessuno dopo {rounds} giri. Contattare il cliente."},
    },
    "cancelled_by_customer": {
        "de": {"title": "Storniert ({ref})", "body": "Sie haben den Auftrag storniert. Es kommt niemand.\n\n{fee_note}"},
        "en": {"title": "Cancelled ({ref})", "body": "You cancelled the request. Nobody will come.\n\n{fee_note}"},
        "fr": {"title": "Annulé ({ref})", "body": "Vous avez annulé la demande. Personne ne viendra.\n\n{fee_note}"},
        "it": {"title": "Annullato ({ref})", "body": "Ha annullato la richiesta. Non verrà nessuno.\n\n{fee_note}"},
    },
    "cancelled_by_customer:helper": {
        "de": {"title": "Auftrag storniert ({ref})", "body": "Die Kundschaft in {area} hat storniert. Sie müssen nicht hingehen."},
        "en": {"title": "Job cancelled ({ref})", "body": "The customer in {area} cancelled. You do not need to go."},
        "fr": {"title": "Mission annulée ({ref})", "body": "Le client à {area} a annulé. Vous n'avez pas besoin d'y aller."},
        "it": {"title": "Incarico annullato ({ref})", "body": "Il cliente a {area} ha annullato. Non deve andarci."},
    },
    "cancelled_by_helper": {
        "de": {"title": "Wir suchen neu ({ref})", "body": "{helper_first_name} kann leider nicht kommen. Wir suchen jetzt jemand anderen für Sie."},
        "en": {"title": "We are finding someone new ({ref})", "body": "Sorry, {helper_first_name} cannot come. We are now looking for someone else for you."},
        "fr": {"title": "Nous cherchons quelqu'un d'autre ({ref})", "body": "Désolé, {helper_first_name} ne peut pas venir. Nous cherchons une autre personne pour vous."},
        "it": {"title": "Cerchiamo qualcun altro ({ref})", "body": "Purtroppo {helper_first_name} non può venire. Ora cerchiamo un'altra persona per lei."},
    },
    "cancelled_by_ops": {
        "de": {"title": "Auftrag storniert ({ref})", "body": "Wir haben Ihren Auftrag storniert. Ihre Karte wird nicht belastet.\n\nFragen? Antworten Sie einfach auf diese E-Mail."},
        "en": {"title": "Request cancelled ({ref})", "body": "We have cancelled your request. Your card will not be charged.\n\nQuestions? Just reply to this e-mail."},
        "fr": {"title": "Demande annulée ({ref})", "body": "Nous avons annulé votre demande. Votre carte ne sera pas débitée.\n\nDes questions ? Répondez simplement à cet e-mail."},
        "it": {"title": "Richiesta annullata ({ref})", "body": "Abbiamo annullato la sua richiesta. La sua carta non verrà addebitata.\n\nDomande? Risponda a questa e-mail."},
    },
    "cancelled_by_ops:helper": {
        "de": {"title": "Auftrag storniert ({ref})", "body": "Der Auftrag in {area} wurde storniert. Sie müssen nicht hingehen."},
        "en": {"title": "Job cancelled ({ref})", "body": "The job in {area} was cancelled. You do not need to go."},
        "fr": {"title": "Mission annulée ({ref})", "body": "La mission à {area} a été annulée. Vous n'avez pas besoin d'y aller."},
        "it": {"title": "Incarico annullato ({ref})", "body": "L'incarico a {area} è stato annullato. Non deve andarci."},
    },
    "payment_not_held": {
        "de": {"title": "Auftrag nicht bestätigt ({ref})", "body": "Ihre Karte wurde nicht angenommen, darum haben wir noch niemanden geschickt. Es wurde nichts belastet.\n\nBitte buchen Sie noch einmal und verwenden Sie eine andere Karte, oder rufen Sie uns an."},
        "en": {"title": "Request not confirmed ({ref})", "body": "Your card was not accepted, so we have not sent anyone yet. Nothing was charged.\n\nPlease book again with another card, or call us."},
        "fr": {"title": "Demande non confirmée ({ref})", "body": "Votre carte n'a pas été acceptée, c'est pourquoi nous n'avons encore envoyé personne. Rien n'a été débité.\n\nVeuillez réserver à nouveau avec une autre carte, ou appelez-nous."},
        "it": {"title": "Richiesta non confermata ({ref})", "body": "La sua carta non è stata accettata, quindi non abbiamo ancora mandato nessuno. Non è stato addebitato nulla.\n\nPrenoti di nuovo con un'altra carta, oppure ci chiami."},
    },
    "payout_sent": {
        "de": {"title": "Auszahlung unterwegs: {amount}", "body": "Wir haben {amount} auf Ihr Konto überwiesen ({ref})."},
        "en": {"title": "Payout on its way: {amount}", "body": "We have sent {amount} to your account ({ref})."},
        "fr": {"title": "Versement en route : {amount}", "body": "Nous avons versé {amount} sur votre compte ({ref})."},
        "it": {"title": "Pagamento in arrivo: {amount}", "body": "Abbiamo versato {amount} sul suo conto ({ref})."},
    },
}


class _Missing(dict):
    def __missing__(self, key):  # a missing field shows as empty, never as a crash or a brace
        return ""


def pick_language(*candidates: str | None) -> str:
    for c in candidates:
        if c in LANGS:
            return c
    return "de"


def decimal(value, lang: str, digits: int = 1) -> str:
    """A number as the reader writes it (CLDR, as the web app's Intl): fr-CH "4,5", de/it/en "4.5"."""
    text = f"{float(value):.{digits}f}"
    return text.replace(".", ",") if lang == "fr" else text


def category_label(category: str, lang: str) -> str:
    return CATEGORY_LABELS.get(category, CATEGORY_LABELS["other"])[lang]


def _fill(template: str, ctx: dict) -> str:
    return string.Formatter().vformat(template, (), _Missing(ctx))


def text_for(event_type: str, role: str, lang: str) -> dict[str, str]:
    by_role = TEXTS.get(f"{event_type}:{role}") or TEXTS[event_type]
    return by_role[lang]


def render(event_type: str, role: str, lang: str, ctx: dict, tenant: dict) -> dict:
    """All forms of one message. ``ctx`` holds the event's fields (already localised strings),
    ``tenant`` its ``name`` and ``branding`` (``primary`` colour, ``logo_url``)."""
    lang = pick_language(lang)
    t = text_for(event_type, role, lang)
    ctx = {**ctx, "tenant": tenant.get("name") or "crowdfix"}
    title = _fill(t["title"], ctx).strip()
    paragraphs = [p.strip() for p in _fill(t["body"], ctx).split("\n\n") if p.strip()]
    frame = FRAME[lang]
    url = ctx.get("url")
    closing = [_fill(frame["link"], {"url": url})] if url else []
    text = "\n\n".join([frame["hello"], *paragraphs, *closing, _fill(frame["bye"], ctx)]) + "\n"
    first = paragraphs[0] if paragraphs else title
    sms = f"{ctx['tenant']}: {first}" + (f" {url}" if url else "")
    return {"title": title, "text": text, "html": _html_email(lang, title, paragraphs, url, ctx, tenant),
            "sms": sms[:480], "push": {"title": title, "body": first, "url": url}}


def _html_email(lang, title, paragraphs, url, ctx, tenant) -> str:
    e = _html.escape
    branding = tenant.get("branding") or {}
    colour = branding.get("primary") or "#0b5cad"
    if not (isinstance(colour, str) and colour.startswith("#") and len(colour) in (4, 7)):
        colour = "#0b5cad"
    logo = branding.get("logo_url")
    name = e(ctx["tenant"])
    head = (f'<img src="{e(logo)}" alt="{name}" height="40">' if logo else
            f'<strong style="font-size:22px;color:{colour}">{name}</strong>')
    body = "".join(f'<p style="margin:0 0 16px">{e(p).replace(chr(10), "<br>")}</p>' for p in paragraphs)
    button = (f'<p><a href="{e(url)}" style="display:inline-block;background:{colour};color:#fff;'
              f'padding:12px 20px;border-radius:6px;text-decoration:none;font-size:18px">'
              f'{e(_fill(FRAME[lang]["link"], {"url": ""}).rstrip(": ").strip())}</a></p>' if url else "")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{e(title)}</title></head>'
            f'<body style="font-family:Arial,sans-serif;font-size:18px;line-height:1.5;color:#111;'
            f'max-width:600px;margin:0 auto;padding:16px">'
            f'<div style="border-bottom:4px solid {colour};padding-bottom:8px;margin-bottom:16px">{head}</div>'
            f'<p style="margin:0 0 16px">{e(FRAME[lang]["hello"])}</p>{body}{button}'
            f'<p style="margin:24px 0 0">{e(_fill(FRAME[lang]["bye"], ctx))}</p></body></html>')
