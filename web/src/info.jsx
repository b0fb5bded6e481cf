// Help/FAQ, privacy and terms, in the four languages (loaded only when opened).
import table from "../../chalicelib/domain/app_routes.json";
import { lang, t } from "./i18n.js";
import { Title } from "./ui.jsx";

const PHONE = table.support.display;
const PAGES = {
  help: {
    en: [["How do I book?", "Choose what is wrong, describe it in a few words, say where you are and when, then choose a helper or let crowdfix choose. You confirm your e-mail address with a code and enter your card."],
      ["What does it cost?", "Each helper shows the hourly rate and what a visit usually costs in total. A home visit adds a flat travel fee. Time is billed in quarter hours after the first half hour. You never pay more than the limit shown when you book."],
      ["Why is an amount reserved on my card?", "When you book, the limit is reserved on your card, not charged. After the help only the real price is charged and the rest is released."],
      ["Can I cancel?", "Yes. Cancelling is free until a helper has taken your job. After that a small fee goes to the helper; the page tells you the amount before you confirm."],
      ["I did not get a code.", "Look in your spam folder, wait a minute and press “Send a new code”. You can also use another e-mail address."],
      ["I need help with booking.", `Call us: ${PHONE}. We are glad to help.`]],
    de: [["Wie buche ich?", "Wählen Sie, was nicht geht, beschreiben Sie es in ein paar Worten, sagen Sie, wo und wann, und wählen Sie eine Person – oder crowdfix wählt für Sie. Sie bestätigen Ihre E-Mail-Adresse mit einem Code und geben Ihre Karte ein."],
      ["Was kostet es?", "Jede Person zeigt ihren Stundenansatz und was ein Einsatz meist insgesamt kostet. Bei einem Besuch kommt eine feste Anfahrtspauschale dazu. Die Zeit wird nach der ersten halben Stunde in Viertelstunden abgerechnet. Sie zahlen nie mehr als das Limit, das bei der Buchung steht."],
      ["Warum wird ein Betrag auf meiner Karte reserviert?", "Bei der Buchung wird das Limit auf Ihrer Karte reserviert, nicht belastet. Nach der Hilfe wird nur der wirkliche Preis belastet, der Rest wird freigegeben."],
      ["Kann ich stornieren?", "Ja. Stornieren ist kostenlos, bis jemand Ihren Auftrag übernommen hat. Danach geht eine kleine Gebühr an diese Person; die Seite nennt Ihnen den Betrag, bevor Sie bestätigen."],
      ["Ich habe keinen Code bekommen.", "Schauen Sie im Spam-Ordner nach, warten Sie eine Minute und drücken Sie «Neuen Code senden». Sie können auch eine andere E-Mail-Adresse verwenden."],
      ["Ich brauche Hilfe beim Buchen.", `Rufen Sie uns an: ${PHONE}. Wir helfen gern.`]],
    fr: [["Comment réserver ?", "Choisissez ce qui ne marche pas, décrivez-le en quelques mots, dites où et quand, puis choisissez une personne ou laissez crowdfix choisir. Vous confirmez votre adresse e-mail avec un code et saisissez votre carte."],
      ["Combien ça coûte ?", "Chaque personne indique son tarif horaire et ce qu'une intervention coûte en général au total. Une visite ajoute un forfait de déplacement. Le temps est facturé par quarts d'heure après la première demi-heure. Vous ne payez jamais plus que la limite indiquée à la réservation."],
      ["Pourquoi un montant est-il réservé sur ma carte ?", "À la réservation, la limite est réservée sur votre carte, pas débitée. Après l'aide, seul le prix réel est débité et le reste est libéré."],
      ["Puis-je annuler ?", "Oui. Annuler est gratuit tant que personne n'a accepté votre demande. Ensuite, de petits frais reviennent à cette personne ; la page vous indique le montant avant de confirmer."],
      ["Je n'ai pas reçu de code.", "Regardez dans les indésirables, attendez une minute et appuyez sur « Envoyer un nouveau code ». Vous pouvez aussi utiliser une autre adresse e-mail."],
      ["J'ai besoin d'aide pour réserver.", `Appelez-nous : ${PHONE}. Nous vous aidons volontiers.`]],
    it: [["Come prenoto?", "Scelga cosa non funziona, lo descriva in poche parole, dica dove e quando, poi scelga una persona o lasci scegliere crowdfix. Conferma il suo indirizzo e-mail con un codice e inserisce la sua carta."],
      ["Quanto costa?", "Ogni persona mostra la tariffa oraria e quanto costa di solito un intervento in totale. Una visita aggiunge un forfait di trasferta. Il tempo si conteggia a quarti d'ora dopo la prima mezz'ora. Non paga mai più del limite indicato alla prenotazione."],
      ["Perché viene riservato un importo sulla mia carta?", "Alla prenotazione il limite viene riservato sulla sua carta, non addebitato. Dopo l'aiuto viene addebitato solo il prezzo reale e il resto viene sbloccato."],
      ["Posso annullare?", "Sì. Annullare è gratuito finché nessuno ha accettato il suo incarico. Dopo, una piccola tassa va a questa persona; la pagina le indica l'importo prima che confermi."],
      ["Non ho ricevuto il codice.", "Guardi nella posta indesiderata, aspetti un minuto e prema «Inviare un nuovo codice». Può anche usare un altro indirizzo e-mail."],
      ["Mi serve aiuto per prenotare.", `Ci chiami: ${PHONE}. La aiutiamo volentieri.`]],
  },
  privacy: {
    en: [["What we keep", "Your name, e-mail address, phone number and address, what you booked and your rating. Card details are kept by our payment provider, not by us."],
      ["Who sees it", "Before accepting, a helper sees only your area. Once a helper has your job, that helper sees your address and phone number to come and call you."],
      ["Your rights", `You can ask what we keep about you, have it corrected or deleted. Call ${PHONE} or answer any of our e-mails.`]],
    de: [["Was wir speichern", "Ihren Namen, Ihre E-Mail-Adresse, Telefonnummer und Adresse, was Sie gebucht haben und Ihre Bewertung. Kartendaten speichert unser Zahlungsanbieter, nicht wir."],
      ["Wer es sieht", "Vor der Zusage sieht eine Helferin oder ein Helfer nur Ihre Gegend. Wer Ihren Auftrag übernommen hat, sieht Adresse und Telefonnummer, um zu kommen und anzurufen."],
      ["Ihre Rechte", `Sie können fragen, was wir über Sie speichern, und es berichtigen oder löschen lassen. Rufen Sie ${PHONE} an oder antworten Sie auf eine unserer E-Mails.`]],
    fr: [["Ce que nous gardons", "Votre nom, votre adresse e-mail, votre téléphone et votre adresse, ce que vous avez réservé et votre avis. Les données de carte sont gardées par notre prestataire de paiement, pas par nous."],
      ["Qui les voit", "Avant d'accepter, une personne ne voit que votre région. Celle qui a accepté votre demande voit votre adresse et votre téléphone pour venir et vous appeler."],
      ["Vos droits", `Vous pouvez demander ce que nous gardons sur vous, le faire corriger ou effacer. Appelez le ${PHONE} ou répondez à l'un de nos e-mails.`]],
    it: [["Cosa conserviamo", "Il suo nome, indirizzo e-mail, telefono e indirizzo, cosa ha prenotato e la sua valutazione. I dati della carta li conserva il nostro fornitore di pagamento, non noi."],
      ["Chi li vede", "Prima di accettare, una persona vede solo la sua zona. Chi ha accettato il suo incarico vede indirizzo e telefono per venire e chiamarla."],
      ["I suoi diritti", `Può chiedere cosa conserviamo su di lei, farlo correggere o cancellare. Chiami il ${PHONE} o risponda a una nostra e-mail.`]],
  },
  terms: {
    en: [["The service", "crowdfix connects you with vetted helpers. The helper does the work; crowdfix arranges the booking and the payment."],
      ["Prices", "The price is the time worked (billed in quarter hours after the first half hour) at the helper's hourly rate, plus a flat travel fee for a home visit, plus parts you agreed to. It never exceeds the limit you agreed when booking."],
      ["Cancelling", "Free until a helper has taken your job; after that a fee, shown before you confirm, goes to the helper."]],
    de: [["Der Dienst", "crowdfix vermittelt Ihnen geprüfte Helferinnen und Helfer. Die Arbeit macht die Person; crowdfix kümmert sich um Buchung und Zahlung."],
      ["Preise", "Der Preis ist die gearbeitete Zeit (nach der ersten halben Stunde in Viertelstunden) zum Stundenansatz der Person, bei einem Besuch plus eine feste Anfahrtspauschale, plus Material, dem Sie zugestimmt haben. Er ist nie höher als das bei der Buchung vereinbarte Limit."],
      ["Stornieren", "Kostenlos, bis jemand Ihren Auftrag übernommen hat; danach eine Gebühr, die vor dem Bestätigen genannt wird und an diese Person geht."]],
    fr: [["Le service", "crowdfix vous met en contact avec des personnes vérifiées. La personne fait le travail ; crowdfix organise la réservation et le paiement."],
      ["Prix", "Le prix est le temps de travail (par quarts d'heure après la première demi-heure) au tarif horaire de la personne, plus un forfait de déplacement pour une visite, plus le matériel que vous avez accepté. Il ne dépasse jamais la limite convenue à la réservation."],
      ["Annuler", "Gratuit tant que personne n'a accepté votre demande ; ensuite des frais, indiqués avant de confirmer, reviennent à cette personne."]],
    it: [["Il servizio", "crowdfix la mette in contatto con persone verificate. Il lavoro lo fa la persona; crowdfix organizza prenotazione e pagamento."],
      ["Prezzi", "Il prezzo è il tempo di lavoro (a quarti d'ora dopo la prima mezz'ora) alla tariffa oraria della persona, più un forfait di trasferta per una visita, più il materiale che ha accettato. Non supera mai il limite concordato alla prenotazione."],
      ["Annullare", "Gratuito finché nessuno ha accettato il suo incarico; dopo una tassa, indicata prima di confermare, che va a questa persona."]],
  },
};

export function InfoPage({ which }) {
  const sections = PAGES[which][lang.get()];
  return (
    <div>
      <Title>{t(which + "_title")}</Title>
      {sections.map(([q, a]) => <section key={q}><h2>{q}</h2><p>{a}</p></section>)}
      <p class="note"><a href={"tel:" + table.support.phone}>{t("support_call", { phone: PHONE })}</a></p>
    </div>
  );
}
